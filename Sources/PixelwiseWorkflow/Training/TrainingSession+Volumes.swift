import Foundation
import PixelwiseAlgorithms
import PixelwiseCore
import PixelwiseIO
import PixelwiseModels
import PixelwiseNN

/// What a run validates on: 2-D images through the tiled segmenter, or volumes through a 3-D
/// network tile by tile.
enum ValidationData {
    case images([Sample], TiledSegmenter)
    /// Volumes, the tiler that segments them, and the training patch sizes (for the report).
    case volumes([VolumeSample], VolumeTiler, patch: VolumePatchGeometry)

    var isEmpty: Bool {
        switch self {
        case let .images(samples, _): samples.isEmpty
        case let .volumes(volumes, _, _): volumes.isEmpty
        }
    }

    func report(folder: String, graph: Graph, recipe: Recipe, state: TrainerState, labelMap: LabelMap) throws -> TrainingReport {
        switch self {
        case let .images(samples, tiling):
            return TrainingReport(folder: folder, graph: graph, recipe: recipe, state: state, validation: samples, tiling: tiling,
                                  labelMap: labelMap)
        case let .volumes(volumes, tiler, patch):
            var report = TrainingReport(folder: folder, graph: graph, recipe: recipe, state: state, validation: [], tiling: nil,
                                        labelMap: labelMap)
            report.patches = patch.input.map(String.init).joined(separator: "×") + " → " + patch.output.map(String.init).joined(separator: "×")
            report.slices = try volumes.prefix(3).map { try tiler.middleSlice(of: $0) }
            return report
        }
    }
}

/// Whole in-memory volumes through a 3-D network: output windows of the patch's output size on a
/// grid covering the volume (the last window along an axis aligned with the volume's end; a
/// volume thinner than the window is covered by one, cropped), each input window mirrored at the
/// volume borders by the network's context, run in inference mode. What validation during 3-D
/// training uses; exact under tiling for valid-padding networks, and for same-padding networks
/// the tile borders see mirrored rather than true context (as in 2-D without overlap).
public struct VolumeTiler {
    public let graph: Graph
    public let geometry: VolumePatchGeometry

    public init(graph: Graph, geometry: VolumePatchGeometry) {
        self.graph = graph
        self.geometry = geometry
    }

    /// Window starts along an axis of `size` voxels for windows of `window`.
    static func starts(size: Int, window: Int) -> [Int] {
        guard size > window else { return [0] }
        var s = Array(stride(from: 0, to: size - window, by: window))
        s.append(size - window)
        return s
    }

    /// Class probabilities of every voxel, channel-major (classes × D × H × W): the sigmoid for
    /// one output channel, else the softmax over channels.
    public func probabilities(_ volume: VolumeSample) throws -> (classes: Int, values: [Float]) {
        let (size, out, context) = (volume.size, geometry.output, geometry.context)
        var result: [Float] = []
        var classes = 0
        for z in Self.starts(size: size[0], window: out[0]) {
            for y in Self.starts(size: size[1], window: out[1]) {
                for x in Self.starts(size: size[2], window: out[2]) {
                    let start = [z - context[0], y - context[1], x - context[2]]
                    var input = [Float]()
                    for c in 0..<volume.channels { input += volume.mirroredRaw(channel: c, origin: start, size: geometry.input).values }
                    let logits = try graph.forward(Tensor(shape: Shape([1, volume.channels] + geometry.input), scalars: input), mode: .inference)
                    guard Array(logits.shape.spatial) == out else {
                        throw PixelwiseError.shapeMismatch("network output \(logits.shape) for input \(geometry.input), expected \(out)")
                    }
                    let p = TiledSegmenter.probabilities(logits)
                    if result.isEmpty {
                        classes = logits.shape[1]
                        result = [Float](repeating: 0, count: classes * volume.voxels)
                    }
                    let n = out.reduce(1, *)
                    for c in 0..<classes {
                        for dz in 0..<min(out[0], size[0] - z) {
                            for dy in 0..<min(out[1], size[1] - y) {
                                let from = c * n + (dz * out[1] + dy) * out[2]
                                let to = ((c * size[0] + z + dz) * size[1] + y + dy) * size[2] + x
                                for dx in 0..<min(out[2], size[2] - x) { result[to + dx] = p[from + dx] }
                            }
                        }
                    }
                }
            }
        }
        return (classes, result)
    }

    /// The middle z slice of a volume segmented whole: the slice (normalised raw values, channels
    /// interleaved, and its labels) named "NAME, slice z", with its class probabilities (1, C, H, W).
    func middleSlice(of volume: VolumeSample) throws -> (sample: Sample, probabilities: Tensor) {
        let (classes, p) = try probabilities(volume)
        let (h, w) = (volume.size[1], volume.size[2]), plane = h * w, z = volume.size[0] / 2
        var raw = [Float](repeating: 0, count: plane * volume.channels)
        for c in 0..<volume.channels {
            let from = (c * volume.size[0] + z) * plane
            for i in 0..<plane { raw[i * volume.channels + c] = volume.raw[from + i] }
        }
        var slice = [Float]()
        slice.reserveCapacity(classes * plane)
        for c in 0..<classes { slice += p[((c * volume.size[0] + z) * plane)..<((c * volume.size[0] + z + 1) * plane)] }
        let sample = Sample(raw: Image(width: w, height: h, channels: volume.channels, sampleType: .float32, pixels: raw),
                            labels: Array(volume.labels[(z * plane)..<((z + 1) * plane)]),
                            name: URL(fileURLWithPath: volume.name).lastPathComponent + ", slice z \(z)")
        return (sample, Tensor(shape: [1, classes, h, w], scalars: slice))
    }

    /// Adds every z slice of every volume to a set sweep, as separate images (the scores are the
    /// ISBI 2012 scorer's, slice by slice): the foreground probability — class 1, the sigmoid's
    /// channel, or the sum of `foreground`'s classes (`foreground_classes`) — against the truth.
    func addSlices(of volumes: [VolumeSample], foreground: [Int]? = nil, to sweep: inout SetThresholdSweep) throws {
        for volume in volumes {
            let (classes, p) = try probabilities(volume)
            let plane = volume.size[1] * volume.size[2]
            let channels = foreground ?? [classes == 1 ? 0 : 1]
            let truthClasses = foreground ?? [1]
            for z in 0..<volume.size[0] {
                var probability = [Float](repeating: 0, count: plane)
                for k in channels {
                    let start = (k * volume.size[0] + z) * plane
                    for i in 0..<plane { probability[i] += p[start + i] }
                }
                sweep.add(probability: probability,
                          groundTruth: volume.labels[z * plane ..< (z + 1) * plane].map { truthClasses.contains(Int($0)) },
                          width: volume.size[2], height: volume.size[1])
            }
        }
    }
}

extension TrainingSession {
    /// The network's spatial rank: the checkpoint's when resuming, else the preset's.
    func networkRank() throws -> Int {
        if let resumeFile { return try resumeFile.makeGraph(path: folder + "/last.h5").spatialRank }
        return try ModelZoo.preset(named: recipe.resolvedModel).build(PresetOptions()).spatialRank
    }

    /// The volumes `path` names: every file of a folder holding only volumes (NIfTI files,
    /// multi-page TIFFs), paired by sorted name; otherwise the one volume the path is (a stack,
    /// `FILE.h5:/DATASET`, a NIfTI file, a folder of 2-D slices).
    static func volumePaths(_ path: String) throws -> [String] {
        var isFolder: ObjCBool = false
        if HDF5VolumeDataset.reference(path) == nil, FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            let files = try FilePairDataset.imageFiles(in: path)
            let volumes = try files.filter { try ImageFormat.detect(path: $0) == .nifti || ImageStack(path: $0).count > 1 }
            if !files.isEmpty && volumes.count == files.count { return files }
        }
        return [path]
    }

    /// Raw and label volumes paired, read and normalised (`VolumeSample.load`).
    static func loadVolumes(images: String, labels: String, labelMap: LabelMap, normalisation: RawNormalisation,
                            spacing: [Double]?) throws -> [VolumeSample] {
        let raw = try volumePaths(images), truth = try volumePaths(labels)
        guard raw.count == truth.count else {
            throw PixelwiseError.file(path: images, problem: "holds \(raw.count) volume(s) but \(labels) holds \(truth.count)")
        }
        return try zip(raw, truth).map { r, l in
            let volume = try VolumeSources.open(r, spacing: spacing)
            try requireDepth(volume)
            return try VolumeSample.load(raw: volume, labels: try VolumeSources.open(l, spacing: spacing), labelMap: labelMap, normalisation: normalisation)
        }
    }

    /// A 3-D network needs volumes: one slice is an error.
    static func requireDepth(_ volume: any VolumeReading) throws {
        guard volume.geometry.size[0] > 1 else {
            throw PixelwiseError.file(path: volume.name, problem: "is a 2-D image (depth 1), but the network is 3-D: give a volume (a TIFF stack, FILE.h5:/DATASET, a NIfTI file or a folder of slices), or train a 2-D network")
        }
    }

    /// The largest input patch (depth, side, side) at most the recipe's that the network takes, and its output.
    func volumePatch(graph: Graph, channels: Int, depth: Int, side: Int) throws -> VolumePatchGeometry {
        for d in stride(from: depth, through: 1, by: -1) {
            for s in stride(from: side, through: 1, by: -1) {
                if let shapes = try? graph.shapes(for: Shape([1, channels, d, s, s])), let out = shapes.last?.spatial,
                   let geometry = try? VolumePatchGeometry(input: [d, s, s], output: out) {
                    return geometry
                }
            }
        }
        throw PixelwiseError.invalidArgument("\(recipe.resolvedModel) takes no input patch of at most \(depth)×\(side)×\(side); raise --patch-depth or --patch")
    }

    /// `run` for a 3-D network: volumes in, 3-D patches, validation on whole volumes.
    func runVolumes(stop: StopRequest) throws -> Outcome {
        guard try recipe.layoutChoice() == .folders else {
            throw PixelwiseError.invalidArgument("--layout \(recipe.layout ?? "") trains 2-D networks; a 3-D network reads --images and --labels as volumes")
        }
        for (flag, given) in [("blur", recipe.blur), ("clahe", recipe.clahe), ("resize", recipe.resize.map { _ in true })] where given == true {
            throw PixelwiseError.invalidArgument("--\(flag) is a 2-D augmentation; \(recipe.resolvedModel) is a 3-D network")
        }
        let spacing = try recipe.spacing.map { try VolumeSources.parseSpacing($0) }
        let labelMap = try recipe.labelMap()
        let normalisation: RawNormalisation
        if let file = resumeFile {
            normalisation = try ModelConventions(graph: file.makeGraph(path: folder + "/last.h5"), classes: labelMap.classCount).normalisation
        } else {
            let stored = try Self.volumePaths(recipe.images!).map { try VolumeSources.open($0).geometry.channels }
            normalisation = try recipe.rawNormalisation(storedChannels: stored)
        }
        let training = try Self.loadVolumes(images: recipe.images!, labels: recipe.labels!, labelMap: labelMap, normalisation: normalisation, spacing: spacing)
        let validation = try recipe.validateImages.map {
            try Self.loadVolumes(images: $0, labels: recipe.validateLabels!, labelMap: labelMap, normalisation: normalisation, spacing: spacing)
        } ?? []
        let channels = training[0].channels
        if let odd = (training + validation).first(where: { $0.channels != channels }) {
            throw PixelwiseError.file(path: odd.name, problem: "has \(odd.channels) channel(s), \(training[0].name) has \(channels)")
        }
        let graph = try makeGraph(channels: channels, labelMap: labelMap, normalisation: normalisation, spatialRank: 3)
        let (depth, side) = (recipe.patchDepth ?? 16, recipe.patch ?? 64)
        let geometry = try volumePatch(graph: graph, channels: channels, depth: depth, side: side)
        // The model file remembers the patch and spacing: segment's smallest block and default spacing.
        var conventions = ModelConventions(graph: graph, classes: labelMap.classCount)
        (conventions.trainingPatch, conventions.spacing) = (geometry.input, training[0].spacing)
        conventions.store(in: graph)
        // Validation covers whole volumes in tiles of at least 128 in-plane (fewer, larger passes).
        let validationTile = try volumePatch(graph: graph, channels: channels, depth: depth, side: max(side, 128))

        var augmentation = VolumeAugmentation(rotate: true, flip: true, isotropic: training.allSatisfy { VolumeAugmentation.isIsotropic($0.spacing) },
                                              spacing: training[0].spacing)
        if recipe.elastic ?? false { augmentation.elastic = ElasticDeformation(alpha: 4, sigma: 10) }
        augmentation.elastic3D = recipe.elastic3D ?? false
        if recipe.jitter ?? false { augmentation.jitter = IntensityJitter(brightness: 0.1, contrast: 0.1, gamma: 0.1) }
        // The prior's windows on a grid of an eighth of the output in-plane (every slice in z):
        // the weights change little between neighbouring windows, and the tables stay small.
        let prior = (recipe.patchPrior ?? false)
            ? try VolumePatchPrior(samples: training, window: geometry.output, classCount: labelMap.classCount,
                                   stride: [1, max(1, geometry.output[1] / 8), max(1, geometry.output[2] / 8)]) : nil
        let source = try VolumeBatchSource(samples: training, geometry: geometry, batchSize: recipe.resolvedBatch,
                                           augmentation: augmentation, prior: prior, seed: recipe.resolvedSeed)
        var counts = [Int](repeating: 0, count: labelMap.classCount)
        for volume in training {
            for c in volume.labels where c != LabelMap.ignore {
                guard c >= 0, Int(c) < counts.count else { throw PixelwiseError.invalidArgument("\(volume.name): class \(c) outside 0…\(counts.count - 1)") }
                counts[Int(c)] += 1
            }
        }
        return try train(graph: graph, frequencies: ClassFrequencies(counts: counts), batches: source.batch,
                         validation: .volumes(validation, VolumeTiler(graph: graph, geometry: validationTile), patch: geometry),
                         labelMap: labelMap, images: training.count,
                         patches: (geometry.input[2], geometry.output[2], (geometry.input, geometry.output)), sampleShape: [channels] + geometry.input,
                         stop: stop)
    }
}
