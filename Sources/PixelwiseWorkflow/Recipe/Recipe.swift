import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseKernels
import PixelwiseModels
import PixelwiseNN

/// Everything a training run can be told: what `pixelwise train` reads from its flags and from a
/// YAML file (flags win), and what the run folder's config.yaml records.
///
/// Every property is optional: nil means "the default", so a recipe merged from a file and from
/// flags knows which values the user gave. Each property has exactly one row in `Recipe.options`,
/// which names its flag (`--weight-decay`) and its YAML key (`weight_decay`, the flag with `_` for
/// `-`), reads and writes it, and carries its help text; the YAML coding, the flag parser and the
/// CLI's help are all driven by that table.
public struct Recipe: Equatable, Sendable {
    public var images: String?
    public var labels: String?
    public var validateImages: String?
    public var validateLabels: String?
    /// More than two classes: the two-class consolidation, these classes (names or label values,
    /// separated by spaces or commas) against the rest. Validation scores it (and keeps the weights
    /// with the best Rand error); Malis keeps its foreground connected.
    public var foregroundClasses: String?
    public var model: String?
    public var baseFilters: Int?
    /// The U-Net presets' normalisation (nil: the preset's own).
    public var norm: UNet.Normalization?
    public var foreground: [Float]?
    public var iterations: Int?
    public var minutes: Double?
    public var out: String?
    public var loss: LossChoice?
    public var optimizer: OptimizerChoice?
    public var lr: Float?
    public var batch: Int?
    public var patch: Int?
    public var seed: UInt64?
    public var threads: Int?
    public var schedule: ScheduleChoice?
    public var warmup: Int?
    public var weightDecay: Float?
    public var validateEvery: Int?
    public var checkpointEvery: Int?
    public var classWeights: ClassWeighting?
    public var errorMasking: Bool?
    public var patchPrior: Bool?
    public var elastic: Bool?
    public var blur: Bool?
    public var clahe: Bool?
    public var jitter: Bool?
    /// With a two-loss `loss`: the iteration at which the second loss takes over.
    public var switchAt: Int?
    /// λ in `--loss ce+malis`'s cross-entropy + λ · Malis (nil: 1).
    public var malisWeight: Double?
    public var precision: Precision?
    /// Spelled `winograd: true|false` (`--[no-]winograd`): `.winograd` forces Winograd, else the default.
    public var algorithm: ConvolutionAlgorithm?
    /// `exact: true` (`--exact`): oneDNN's direct kernels everywhere instead of the measured choice.
    public var exact: Bool?
    /// Label values → classes in `LabelMap(parsing:)`'s form ("membrane=0,32,64,96,128 glia=159 …");
    /// overrides `foreground`.
    public var classes: String?
    /// Input channels: grey, rgb, stored or all (default: rgb if any training image has colour, else grey).
    public var channels: String?
    /// Per-channel intensity normalisation in `IntensityNormalisation(parsing:)`'s form, one for all
    /// channels or one per channel ("zscore", "percentile:0.5,99.5 type", …; default type).
    public var normalise: String?
    /// The axis 2-D networks cut training volumes along (nil: z, the stored slices).
    public var sliceAxis: SliceAxis?
    /// The data set's layout: folders (default), oxford-pet, brats, sstem or isbi (`images` is then the data set's root).
    public var layout: String?
    /// Resize every training and validation sample to this side (data sets of mixed sizes).
    public var resize: Int?
    /// Labels are instance ids (CREMI's neuron_ids): train boundary (0) against interior (1).
    public var instanceBoundaries: Bool?
    /// 3-D networks: the input patch's depth in slices (the in-plane side is `patch`).
    public var patchDepth: Int?
    /// 3-D networks: voxel spacing "z,y,x" replacing what the volume files say.
    public var spacing: String?
    /// 3-D networks: elastic deformation in 3-D rather than in the section plane.
    public var elastic3D: Bool?

    public init() {}

    /// The table: one row per property, in the order config.yaml lists them (that of earlier versions).
    public static let options: [RecipeOption] = [
        .value("images", \.images, "Folder of raw images, a multi-page TIFF stack, or an HDF5 volume FILE.h5:/DATASET."),
        .value("labels", \.labels, "Folder of label images matching --images by sorted name, or a TIFF stack or HDF5 volume."),
        .value("model", \.model, "Model preset (see `pixelwise models list`; default unet)."),
        .list("foreground", \.foreground, "Label values that are foreground (default 255; ssTEM: 191 255)."),
        .value("iterations", \.iterations, "Stop after this many iterations (default 2000 when --minutes is not given).", positive: true),
        .value("minutes", \.minutes, "Stop after this many minutes."),
        .value("out", \.out, "Run folder (default runs/<date-time>)."),
        .choice("loss", \.loss, "Loss: ce, focal, dice, dice+ce, distance-aware, bce, malis, ce+malis (the sum); or two of them as FIRST,SECOND (e.g. ce,malis) with --switch-at.",
                unknown: { "unknown loss \(LossChoice.unknownPart(of: $0))" }),
        .choice("optimizer", \.optimizer, "Optimiser: adam (default), adamw or sgd (momentum 0.99)."),
        .value("lr", \.lr, "Learning rate (default 1e-3 for Adam, 1e-2 for SGD)."),
        .value("batch", \.batch, "Patches per iteration (default 4).", positive: true),
        .value("patch", \.patch, "Input patch side in pixels (default 256; rounded down to a size the network takes).", positive: true),
        .value("seed", \.seed, "Random seed (default 1)."),
        .value("threads", \.threads, "Threads (default: all cores; under mpirun, the cores divided among the processes on this machine).", positive: true),
        .choice("precision", \.precision, "Convolution arithmetic: fp32 (default), or bf16 mixed precision (fp32 weights, activations and gradients; bf16 convolution operands with fp32 accumulation: 2-3x faster on CPUs with AMX/AVX-512-BF16)."),
        .choice("schedule", \.schedule, "Learning-rate schedule: poly (default, nnU-Net's poly 0.9), cosine, step or constant."),
        .value("warmup", \.warmup, "Linear learning-rate warm-up over this many iterations."),
        .toggle("elastic", \.elastic, "Elastic deformation augmentation."),
        .toggle("blur", \.blur, "Random Gaussian blur augmentation."),
        .toggle("clahe", \.clahe, "CLAHE contrast equalisation of patches."),
        .toggle("jitter", \.jitter, "Brightness, contrast and gamma jitter."),
        .toggle("winograd", \.algorithm, on: .winograd, off: .fastest,
                "Force Winograd F(4×4, 3×3) on all three passes of 3×3 convolutions with ≥ 32 channels (fp32); the default already picks it per layer and pass where it measures faster and stays within 1e-4 of the direct convolution."),
        .value("validate-images", \.validateImages, "Validation raw images (folder, stack or volume)."),
        .value("validate-labels", \.validateLabels, "Validation label images."),
        .words("foreground-classes", \.foregroundClasses, "More than two classes: the two-class consolidation, these classes (names or label values, e.g. \"mitochondria cell\") against the rest. Validation scores their summed probability as two-class runs are (pixel, Rand and V_info errors, one threshold for the set), model.h5 the best Rand error (default: per-class Dice, model.h5 the best mean Dice); --loss malis or ce+malis keeps it connected."),
        .value("base-filters", \.baseFilters, "Base filter count of the preset.", positive: true),
        .choice("norm", \.norm, "U-Net presets: normalisation after each convolution: batch, instance, group (gcd(32, C) groups), group:<groups> or none (default: the preset's)."),
        .value("weight-decay", \.weightDecay, "Weight decay (L2 for adam/sgd, decoupled for adamw)."),
        .value("validate-every", \.validateEvery, "Validate every N iterations (default 200).", positive: true),
        .value("checkpoint-every", \.checkpointEvery, "Write last.h5 every N iterations (default 200).", positive: true),
        .choice("class-weights", \.classWeights, "Class weights for the loss: none (default) or balanced (inverse class frequency)."),
        .toggle("error-masking", \.errorMasking, "Tschopp's error masking: drop frequent-class pixel errors at random so classes count equally."),
        .toggle("patch-prior", \.patchPrior, "Tschopp's patch prior: draw patches with rare labels more often."),
        .value("switch-at", \.switchAt, "With --loss FIRST,SECOND: the iteration at which SECOND takes over."),
        .value("malis-weight", \.malisWeight, "With --loss ce+malis: λ in cross-entropy + λ · Malis (default 1)."),
        .value("classes", \.classes, "Label values to classes, e.g. \"membrane=0,32,64,96,128 glia=159 mito=191 synapse=223 cell=255\"; ignore=V… for values without error, * for every other value (overrides --foreground)."),
        .value("channels", \.channels, "Input channels: grey, rgb, stored (1 or 3) or all (every stored channel); default rgb if any training image has colour, else grey."),
        .value("layout", \.layout, "Data layout: folders (default: --images and --labels matched by name), oxford-pet (--images ROOT with images/*.jpg and annotations/trimaps/*.png), brats (--images ROOT of CASE/CASE_flair|_t1|_t1ce|_t2|_seg.nii.gz folders), sstem (--images ROOT with raw/*.tif and labels/*.png; five classes) or isbi (--images ROOT with the challenge's train-volume.tif and train-labels.tif, or images/ and labels/)."),
        .toggle("instance-boundaries", \.instanceBoundaries, "Labels are instance ids (CREMI's neuron_ids): train boundary (a 4-neighbour has another id) against interior; written as 0 and 255."),
        .value("resize", \.resize, "Resize every sample to this side (bilinear raw, nearest labels), for data sets of mixed sizes.", positive: true),
        .value("normalise", \.normalise, "Per-channel normalisation, one for all or one per channel: type (default), type-unit, zscore, zscore-nonzero, percentile:LOW,HIGH, range:LOW,HIGH."),
        .toggle("exact", \.exact, "oneDNN's direct convolution kernels everywhere (the values PyTorch gives), instead of the default: per layer and pass the fastest algorithm within 1e-4 of the direct convolution's output range, measured once per machine."),
        .value("patch-depth", \.patchDepth, "3-D networks: input patch depth in slices (default 16; the in-plane side is --patch, default 64 for 3-D networks; both rounded down to sizes the network takes).", positive: true),
        .value("spacing", \.spacing, "3-D networks: voxel spacing z,y,x (e.g. 50,4,4) replacing the volume files' (turns out of the section plane need isotropic voxels)."),
        .toggle("elastic-3d", \.elastic3D, "3-D networks: --elastic deforms in 3-D (default: in the section plane, one field for every slice)."),
        .choice("slice-axis", \.sliceAxis, "Volumes (TIFF stacks, HDF5, NIfTI, BraTS cases): train on their slices along z (default: the stored slices), y or x; recorded in the model file, so segment cuts the same way."),
    ]

    /// The row for a flag name (without `--`) or a YAML key.
    public static func option(named name: String) -> RecipeOption? {
        options.first { $0.flag == name || $0.key == name }
    }

    /// `self` with every value that `other` sets replaced by it.
    public func overridden(by other: Recipe) -> Recipe {
        var result = self
        for option in Self.options { option.copy(other, &result) }
        return result
    }

    /// Whether `option` has a value in this recipe.
    public func isSet(_ option: RecipeOption) -> Bool { option.isSet(self) }

    // Defaults, resolved.
    public var resolvedModel: String { model ?? "unet" }
    public var resolvedOptimizer: OptimizerChoice { optimizer ?? .adam }
    public var learningRate: Float { lr ?? resolvedOptimizer.defaultLearningRate }
    public var resolvedLoss: LossChoice { loss ?? LossChoice(.ce) }
    public var resolvedSchedule: ScheduleChoice { schedule ?? .poly }
    /// `--exact` wins over the default; `--winograd` forces Winograd (`validate` refuses both).
    public var resolvedAlgorithm: ConvolutionAlgorithm { exact == true ? .exact : algorithm ?? .fastest }
    public var resolvedSeed: UInt64 { seed ?? 1 }
    public var resolvedBatch: Int { batch ?? 4 }
    public var resolvedPatch: Int { patch ?? 256 }
    public var foregroundValues: [Float] { foreground ?? [255] }

    /// The data layouts `layout` names.
    public enum DataLayout: String, Sendable {
        case folders, oxfordPet = "oxford-pet", brats, sstem, isbi

        /// The ssTEM data set's five classes (Gerhard et al. 2013; the five membrane orientations merged).
        public static let sstemClasses = "membrane=0,32,64,96,128 glia=159 mitochondria=191 synapse=223 cell=255"
    }

    public func layoutChoice() throws -> DataLayout {
        guard let layout else { return .folders }
        guard let choice = DataLayout(rawValue: layout) else {
            throw PixelwiseError.invalidArgument("--layout: unknown layout \"\(layout)\" (folders, oxford-pet, brats, sstem or isbi)")
        }
        return choice
    }

    /// The class mapping: `classes` parsed, else `foreground` values against the rest, else the
    /// layout's own (Oxford-IIIT Pet: pet 1, background 2, border ignored; BraTS: 0 1 2 4; ssTEM:
    /// its five classes; ISBI 2012: cell interior 255 against membrane, as for folders).
    public func labelMap() throws -> LabelMap {
        if instanceBoundaries ?? false {
            guard classes == nil && foreground == nil else {
                throw PixelwiseError.invalidArgument("--instance-boundaries makes the classes boundary and interior: leave out --classes and --foreground")
            }
            return .instanceBoundaries()
        }
        if classes == nil && foreground == nil {
            switch try layoutChoice() {
            case .oxfordPet: return LabelMap(classes: [1: 1, 2: 0, 3: LabelMap.ignore], classCount: 2, names: ["background", "pet"])
            case .brats: return .identity(values: [0, 1, 2, 4])
            case .sstem: return try LabelMap(parsing: DataLayout.sstemClasses)
            case .folders, .isbi: break
            }
        }
        guard let classes else { return .foreground(foregroundValues) }
        do { return try LabelMap(parsing: classes) } catch let PixelwiseError.invalidArgument(message) {
            throw PixelwiseError.invalidArgument("--classes: \(message)")
        }
    }

    /// The `channels` choice, nil when the data decide (colour kept if any image has it).
    public func channelChoice() throws -> RawNormalisation.Channels? {
        switch channels {
        case nil: return nil
        case "grey", "gray": return .grey
        case "rgb": return .rgb
        case "stored": return .asStored
        case "all": return .all
        case let other?: throw PixelwiseError.invalidArgument("--channels: unknown choice \"\(other)\" (grey, rgb, stored or all)")
        }
    }

    /// How raw images become network inputs, given the channel counts the training images store.
    public func rawNormalisation(storedChannels: [Int]) throws -> RawNormalisation {
        let intensity = try normalise.map { try IntensityNormalisation.list(parsing: $0) }
            ?? (try layoutChoice() == .brats ? [.zScore(nonZeroOnly: true)] : [])
        return RawNormalisation(channels: try channelChoice() ?? .keepingColour(storedChannels: storedChannels), intensity: intensity)
    }
    /// The iteration limit: `iterations`, else 2000 without a time limit, else none (`Int.max`).
    public var iterationLimit: Int { iterations ?? (minutes == nil ? 2000 : Int.max) }
    public var resolvedValidateEvery: Int { validateEvery ?? 200 }
    public var resolvedCheckpointEvery: Int { checkpointEvery ?? 200 }

    /// The class indices `foreground_classes` names (class names or label values), nil when it
    /// is not set. Needs more than two classes.
    public func consolidatedForeground(labelMap: LabelMap) throws -> [Int]? {
        guard let text = foregroundClasses else { return nil }
        let items = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        guard labelMap.classCount > 2 else {
            throw PixelwiseError.invalidArgument("--foreground-classes needs more than two classes (--classes); two-class runs validate their foreground already")
        }
        guard !items.isEmpty else { throw PixelwiseError.invalidArgument("--foreground-classes: no classes given") }
        let indices = try items.map { item -> Int in
            if let k = labelMap.names.firstIndex(of: item) { return k }
            if let v = Float(item), let k = labelMap.classIndex(of: v), k >= 0 { return Int(k) }
            let known = (0..<labelMap.classCount).map(labelMap.name(ofClass:))
            throw PixelwiseError.invalidArgument("--foreground-classes: no class \"\(item)\" (the classes: \(known.joined(separator: ", ")))")
        }
        let unique = Array(Set(indices)).sorted()
        guard unique.count < labelMap.classCount else {
            throw PixelwiseError.invalidArgument("--foreground-classes names every class; leave at least one as background")
        }
        return unique
    }

    /// Checks values that have a valid type but make no sense; messages name the flag.
    /// `processes` is the number of data-parallel processes the batch is split over.
    public func validate(processes: Int = 1) throws {
        let layout = try layoutChoice()
        guard images != nil, labels != nil || layout != .folders else {
            throw PixelwiseError.invalidArgument("training needs --images and --labels (or images: and labels: in the configuration)")
        }
        if layout == .folders, (validateImages == nil) != (validateLabels == nil) {
            throw PixelwiseError.invalidArgument("give both --validate-images and --validate-labels, or neither")
        }
        if exact == true && algorithm == .winograd {
            throw PixelwiseError.invalidArgument("--exact and --winograd contradict each other; give one")
        }
        for option in Self.options where option.positive {
            if let value = option.integer(self), value <= 0 {
                throw PixelwiseError.invalidArgument("--\(option.flag) must be positive, got \(value)")
            }
        }
        if processes > 1, resolvedBatch % processes != 0 {
            throw PixelwiseError.invalidArgument("--batch \(resolvedBatch) does not split evenly over \(processes) processes; use a multiple of \(processes)")
        }
        if let w = warmup, w < 0 { throw PixelwiseError.invalidArgument("--warmup must be 0 or more, got \(w)") }
        if let m = minutes, !(m > 0) { throw PixelwiseError.invalidArgument("--minutes must be positive, got \(m)") }
        let labels = try labelMap()
        let consolidated = try consolidatedForeground(labelMap: labels)
        _ = try channelChoice()
        if let normalise { _ = try IntensityNormalisation.list(parsing: normalise) }
        if let lr, !(lr > 0 && lr.isFinite) { throw PixelwiseError.invalidArgument("--lr must be positive, got \(lr)") }
        if let d = weightDecay, !(d >= 0 && d.isFinite) {
            throw PixelwiseError.invalidArgument("--weight-decay must be 0 or more, got \(d)")
        }
        if let loss, let second = loss.then {
            // FIRST,SECOND: e.g. Tschopp's Softmax → Malis fine-tuning.
            guard let switchAt else {
                throw PixelwiseError.invalidArgument("loss \(loss) needs --switch-at N (the iteration at which \(second.rawValue) takes over)")
            }
            guard switchAt >= 1 else { throw PixelwiseError.invalidArgument("switch_at must be positive, got \(switchAt)") }
        } else if switchAt != nil {
            throw PixelwiseError.invalidArgument("switch_at needs two losses, e.g. --loss ce,malis")
        }
        let kinds = [resolvedLoss.first] + (resolvedLoss.then.map { [$0] } ?? [])
        if let w = malisWeight {
            guard w > 0 && w.isFinite else { throw PixelwiseError.invalidArgument("--malis-weight must be positive, got \(w)") }
            guard kinds.contains(.ceMalis) else { throw PixelwiseError.invalidArgument("--malis-weight weighs the Malis term of --loss ce+malis; the loss is \(resolvedLoss)") }
        }
        if kinds.contains(where: \.usesMalis), labels.classCount > 2, consolidated == nil {
            throw PixelwiseError.invalidArgument("--loss \(resolvedLoss) on \(labels.classCount) classes needs --foreground-classes NAME… (the classes whose union Malis keeps connected, e.g. \"mitochondria cell\")")
        }
    }

    /// The loss the recipe names; `frequencies` give balanced class weights, error-masking
    /// draws continue from `startIteration`, and Malis on more than two classes keeps
    /// `consolidatedForeground`'s classes connected.
    public func makeLoss(frequencies: ClassFrequencies?, startIteration: Int, labelMap: LabelMap) throws -> any Loss {
        let weights = classWeights == .balanced ? frequencies?.inverseFrequencyWeights : nil
        let masking = (errorMasking ?? false) ? (seed: resolvedSeed, startIteration: startIteration) : nil
        let foreground = try consolidatedForeground(labelMap: labelMap).map(Set.init)
        let choice = resolvedLoss
        let malisWeight = Float(self.malisWeight ?? 1)
        let first = choice.first.makeLoss(weights: weights, errorMasking: masking, foreground: foreground, malisWeight: malisWeight)
        guard let second = choice.then else { return first }
        return try ScheduledLoss(first, then: second.makeLoss(weights: weights, errorMasking: masking, foreground: foreground,
                                                              malisWeight: malisWeight),
                                 switchAt: switchAt ?? 1)
    }

    public func makeOptimizer() -> any Optimizer {
        resolvedOptimizer.makeOptimizer(learningRate: learningRate, weightDecay: weightDecay)
    }

    public func makeSchedule() -> LearningRateSchedule { resolvedSchedule.makeSchedule(iterations: iterations ?? 2000) }
}
