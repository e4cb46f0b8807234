import Foundation
import PixelwiseAlgorithms
import PixelwiseCore
import PixelwiseIO
import PixelwiseKernels
import PixelwiseModels
import PixelwiseNN

/// One training run in a run folder: data, model, optimiser, the loop, checkpoints, validation,
/// the log and the report; what `pixelwise train` does, for any Swift program.
///
/// ```swift
/// let session = try TrainingSession(recipe: recipe)     // checks every option, touches no file
/// session.onEvent = { print($0) }                       // progress, validation, warnings
/// let outcome = try session.run(stop: StopRequest())     // trains; RUN_DIR/model.h5, last.h5, …
/// ```
///
/// The run folder holds model.h5 (best by validation Rand error — for more than two classes by
/// mean validation Dice — or the latest without validation), last.h5 (the full state: weights, optimiser, trainer state, dropout generators),
/// log.csv, config.yaml (the recipe) and report.html; every file is written atomically. A session
/// created with `resume:` continues a run from its last.h5 exactly: the same batches, optimiser
/// moments, error-masking draws and dropout masks as an uninterrupted run.
///
/// Under data-parallel training (`processes` set) every process runs a session with the same
/// recipe: each trains on its share of every batch, and process 0 alone writes the run folder.
public final class TrainingSession {
    /// What a session reports while it runs (on every process; validation only on process 0).
    public enum Event {
        /// Data and network are ready; the loop starts.
        case started(TrainingStart)
        /// One iteration done (`patchesPerSecond` over all processes).
        case step(iteration: Int, loss: Float, learningRate: Float, patchesPerSecond: Double, elapsed: Double)
        /// Validation scores (mean over the validation images); `isBest` when model.h5 was saved.
        case validation(iteration: Int, scores: Scores, isBest: Bool)
        /// Validation of a model with more than two classes: per-class IoU and Dice over the whole
        /// validation set, their means; `isBest` (best mean Dice) when model.h5 was saved.
        case classValidation(iteration: Int, scores: ClassScores, isBest: Bool)
        /// Something the user should know that does not stop the run (e.g. bf16 falling back to fp32).
        case warning(String)
    }

    /// How a run ended (an error is thrown instead).
    public enum Outcome: Equatable {
        /// Reached its iteration or time limit.
        case finished(iteration: Int)
        /// Stopped on request; last.h5 holds the checkpoint. `code` is the request's (agreed over all processes).
        case stopped(iteration: Int, code: Int32)
    }

    /// The recipe in force: for a resumed run, the run's config.yaml overridden by the given one.
    public let recipe: Recipe
    public let folder: String
    public let processes: (any ProcessGroup)?
    /// How many of the run's processes share this machine's cores.
    public let localProcesses: Int
    /// Process 0 (or the only one): it writes the run folder.
    public var isFirstProcess: Bool { (processes?.rank ?? 0) == 0 }
    public var onEvent: ((Event) -> Void)?

    let resumeFile: ModelFile?

    /// Checks the recipe (and, with `resume`, the run folder's config.yaml and last.h5) before any
    /// data is read or any file written.
    public init(recipe given: Recipe, resume: String? = nil, processes: (any ProcessGroup)? = nil, localProcesses: Int = 1) throws {
        self.processes = processes
        self.localProcesses = max(1, localProcesses)
        var recipe = given
        if let resume, recipe.out == nil { recipe.out = resume }
        var saved: Recipe?
        if let resume {
            let path = resume + "/config.yaml"
            if FileManager.default.fileExists(atPath: path) {
                saved = try Recipe.load(path)
                recipe = saved!.overridden(by: recipe)
            }
            resumeFile = try ModelFile.read(from: resume + "/last.h5")
        } else {
            resumeFile = nil
        }
        try recipe.validate(processes: processes?.size ?? 1)
        self.recipe = recipe
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        folder = recipe.out ?? "runs/" + formatter.string(from: Date())

        _ = try ModelZoo.preset(named: recipe.resolvedModel)
        if let resume {
            // The network comes from the checkpoint; asking for another one is a mistake, not a wish.
            if let asked = given.model, asked != (saved?.model ?? "unet") {
                throw PixelwiseError.invalidArgument("--model \(asked) differs from the run's \(saved?.model ?? "unet"); a resumed run keeps the network of \(resume)/last.h5")
            }
            if let asked = given.baseFilters, asked != saved?.baseFilters {
                throw PixelwiseError.invalidArgument("--base-filters \(asked) differs from the run's; a resumed run keeps the network of \(resume)/last.h5")
            }
            if let asked = given.norm, asked != saved?.norm {
                throw PixelwiseError.invalidArgument("--norm \(asked) differs from the run's; a resumed run keeps the network of \(resume)/last.h5")
            }
        } else {
            for file in ["last.h5", "log.csv"] where FileManager.default.fileExists(atPath: folder + "/" + file) {
                throw PixelwiseError.file(path: folder, problem: "already holds a training run; continue it with --resume \(folder) or choose another --out")
            }
        }
    }

    /// When no class mapping is given (no classes, foreground, layout or instance option) and the
    /// label images hold values other than 0 and 255: what was found, and how to keep them apart.
    /// Reads the first page of every label file (at most 64 files).
    static func unmappedLabelSummary(_ recipe: Recipe) throws -> String? {
        guard recipe.classes == nil, recipe.foreground == nil, recipe.instanceBoundaries != true,
              try recipe.layoutChoice() == .folders, let labels = recipe.labels else { return nil }
        var isFolder: ObjCBool = false
        guard HDF5VolumeDataset.reference(labels) == nil, FileManager.default.fileExists(atPath: labels, isDirectory: &isFolder) else { return nil }
        var census = LabelValueCensus()
        for file in (isFolder.boolValue ? try FilePairDataset.imageFiles(in: labels) : [labels]).prefix(64) {
            census.add(try ImageStack(path: file).page(0))
        }
        guard !Set(census.values).isSubset(of: [0, 255]) else { return nil }
        let advice = census.looksLikeInstanceIds ? "--instance-boundaries, or --classes"
            : "--classes (e.g. \"" + census.values.prefix(4).map { v in v == v.rounded() ? String(Int(v)) : String(v) }.joined(separator: " ") + (census.count > 4 ? " …" : "") + "\")"
        return "labels: \(census.summary); training 255 against everything else — give \(advice) to keep them apart"
    }

    /// Reads the samples of a data set in the recipe's layout, resized when the recipe says.
    /// Volumes are cut along the recipe's slice axis first (`VolumeSlicing.resliced`).
    static func loadSamples(recipe: Recipe, images: String, labels: String?, labelMap: LabelMap,
                            normalisation: RawNormalisation) throws -> [Sample] {
        func all(_ dataset: some SegmentationDataset) throws -> [Sample] {
            var samples = try VolumeSlicing.resliced((0..<dataset.count).map(dataset.sample), along: recipe.sliceAxis ?? .z)
            guard let side = recipe.resize else { return samples }
            let resized = ResizedDataset(InMemoryDataset(samples), side: side)
            samples = try (0..<resized.count).map(resized.sample)
            return samples
        }
        switch try recipe.layoutChoice() {
        case .oxfordPet:
            var pets = try FilePairDataset.oxfordPet(root: images, normalisation: normalisation)
            pets.labelMap = labelMap
            return try all(pets)
        case .brats:
            return try all(MultiSourceDataset.brats(root: images, labelMap: labelMap, normalisation: normalisation))
        case .sstem, .isbi:
            let (raw, truth) = try layoutPaths(recipe, root: images)
            return try all(InMemoryDataset(try loadSamples(images: raw, labels: truth, labelMap: labelMap, normalisation: normalisation)))
        case .folders:
            guard let labels else { throw PixelwiseError.invalidArgument("training needs --labels with the folders layout") }
            let samples = try loadSamples(images: images, labels: labels, labelMap: labelMap, normalisation: normalisation)
            return try all(InMemoryDataset(samples))
        }
    }

    /// The raw and label paths inside the root of an ssTEM data set (`raw/`, `labels/`) or of the
    /// ISBI 2012 challenge's (`train-volume.tif` and `train-labels.tif`, else `images/`, `labels/`).
    static func layoutPaths(_ recipe: Recipe, root: String) throws -> (images: String, labels: String) {
        let layout = try recipe.layoutChoice()
        let candidates = layout == .sstem ? [("raw", "labels")] : [("train-volume.tif", "train-labels.tif"), ("images", "labels")]
        for (images, labels) in candidates where FileManager.default.fileExists(atPath: root + "/" + images) {
            guard FileManager.default.fileExists(atPath: root + "/" + labels) else {
                throw PixelwiseError.file(path: root, problem: "has \(images) but no \(labels) (the \(layout.rawValue) layout)")
            }
            return (root + "/" + images, root + "/" + labels)
        }
        let expected = candidates.map { "\($0.0) and \($0.1)" }.joined(separator: ", or ")
        throw PixelwiseError.file(path: root, problem: "holds no \(expected) (the \(layout.rawValue) layout)")
    }

    /// Reads image pairs: folders matched by sorted name, multi-page TIFF stacks, or HDF5 volumes (`FILE.h5:/DATASET`).
    public static func loadSamples(images: String, labels: String, labelMap: LabelMap,
                                   normalisation: RawNormalisation = RawNormalisation()) throws -> [Sample] {
        if HDF5VolumeDataset.reference(images) != nil {
            return try HDF5VolumeDataset(raw: images, labels: labels, labelMap: labelMap, normalisation: normalisation).loadAll()
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: images, isDirectory: &isFolder) else {
            throw PixelwiseError.file(path: images, problem: "no such file or folder")
        }
        let samples = isFolder.boolValue
            ? try FilePairDataset.folderPairs(raw: images, labels: labels, labelMap: labelMap, normalisation: normalisation).loadAll()
            : try StackPairDataset(raw: images, labels: labels, labelMap: labelMap, normalisation: normalisation).loadAll()
        guard !samples.isEmpty else { throw PixelwiseError.file(path: images, problem: "contains no images") }
        return samples
    }

    /// Channels stored by the first page of every training input (each image of a folder; a stack's
    /// or volume's first page), for the default channel choice: colour kept if any has colour.
    static func storedChannels(_ recipe: Recipe) throws -> [Int] {
        var images = recipe.images!
        switch try recipe.layoutChoice() {
        case .brats: return [1]
        case .oxfordPet: images += "/images"
        case .sstem, .isbi: images = try layoutPaths(recipe, root: images).images
        case .folders: break
        }
        if HDF5VolumeDataset.reference(images) != nil { return [1] }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: images, isDirectory: &isFolder) else {
            throw PixelwiseError.file(path: images, problem: "no such file or folder")
        }
        let files = isFolder.boolValue ? try FilePairDataset.imageFiles(in: images) : [images]
        return try files.map { try ImageStack(path: $0).page(0).channels }
    }

    /// Trains until the recipe's limit or until `stop` is requested; returns how it ended.
    /// A run that fails before its first checkpoint leaves no run folder behind.
    @discardableResult
    public func run(stop: StopRequest = StopRequest()) throws -> Outcome {
        if let t = recipe.threads {
            Threads.set(t)
        } else if localProcesses > 1 {
            // Processes sharing a machine share its cores (mpirun binds each to its own).
            Threads.set(max(1, Threads.count / localProcesses))
        }
        // Read and check all data before the run folder exists: a bad file leaves nothing behind.
        if try networkRank() == 3 { return try runVolumes(stop: stop) }
        for (flag, given) in [("patch-depth", recipe.patchDepth != nil), ("spacing", recipe.spacing != nil), ("elastic-3d", recipe.elastic3D != nil)] where given {
            throw PixelwiseError.invalidArgument("--\(flag) is for 3-D networks; \(recipe.resolvedModel) is 2-D (it trains on images and on the slices of volumes)")
        }
        let labelMap = try recipe.labelMap()
        let normalisation = try resumeFile.flatMap { file in try ModelConventions(graph: file.makeGraph(path: folder + "/last.h5"), classes: labelMap.classCount).normalisation }
            ?? recipe.rawNormalisation(storedChannels: try Self.storedChannels(recipe))
        if let summary = try Self.unmappedLabelSummary(recipe) { onEvent?(.warning(summary)) }
        let training = try Self.loadSamples(recipe: recipe, images: recipe.images!, labels: recipe.labels, labelMap: labelMap, normalisation: normalisation)
        let validation = try recipe.validateImages.map {
            try Self.loadSamples(recipe: recipe, images: $0, labels: recipe.validateLabels, labelMap: labelMap, normalisation: normalisation)
        } ?? []
        let channels = training[0].raw.channels
        if let odd = validation.first(where: { $0.raw.channels != channels }) {
            throw PixelwiseError.file(path: odd.name, problem: "has \(odd.raw.channels) channel(s), the training images have \(channels)")
        }

        try normalisation.validate(channels: channels)
        let graph = try makeGraph(channels: channels, labelMap: labelMap, normalisation: normalisation)
        let tiling = try TiledSegmenter(graph: graph, tile: recipe.resolvedPatch)
        let geometry = try PatchGeometry(input: tiling.inputTile, output: tiling.outputTile)
        var augmentation = Augmentation()
        if recipe.elastic ?? false { augmentation.elastic = ElasticDeformation(alpha: 4, sigma: 10) }
        if recipe.blur ?? false { augmentation.blurSigma = 1 }
        if recipe.clahe ?? false { augmentation.clahe = CLAHE() }
        if recipe.jitter ?? false { augmentation.jitter = IntensityJitter(brightness: 0.1, contrast: 0.1, gamma: 0.1) }
        let prior = (recipe.patchPrior ?? false)
            ? try PatchPrior(samples: training, windowWidth: tiling.outputTile, windowHeight: tiling.outputTile, classCount: labelMap.classCount) : nil
        let source = try PatchBatchSource(samples: training, geometry: geometry, batchSize: recipe.resolvedBatch, augmentation: augmentation,
                                          prior: prior, seed: recipe.resolvedSeed)

        return try train(graph: graph, frequencies: try ClassFrequencies(samples: training, classCount: labelMap.classCount),
                         batches: source.batch, validation: .images(validation, tiling), labelMap: labelMap, images: training.count,
                         patches: (geometry.inputWidth, geometry.outputWidth, nil), sampleShape: [channels, geometry.inputHeight, geometry.inputWidth],
                         stop: stop)
    }

    /// The part of a run shared by 2-D and 3-D training: optimiser, trainer, the run folder and its
    /// lock, and the loop over `batches` (batch k of the run, the same in every process).
    func train(graph: Graph, frequencies: ClassFrequencies, batches: @escaping @Sendable (Int) -> Batch, validation: ValidationData,
               labelMap: LabelMap, images: Int, patches: (input: Int, output: Int, volume: (input: [Int], output: [Int])?), sampleShape: [Int],
               stop: StopRequest) throws -> Outcome {
        var optimizer = recipe.makeOptimizer()
        var state = TrainerState()
        if let resumeFile {
            try optimizer.restore(state: resumeFile.optimizerState ?? [], step: resumeFile.optimizerStep ?? 0)
            if let json = resumeFile.trainerState { state = try TrainerState(json: json) }
        }
        let loss = try recipe.makeLoss(frequencies: frequencies, startIteration: state.iteration, labelMap: labelMap)
        let trainer = Trainer(graph: graph, loss: loss, optimizer: optimizer, schedule: recipe.makeSchedule(),
                              baseLearningRate: recipe.learningRate, warmupIterations: recipe.warmup ?? 0)
        trainer.processes = processes
        trainer.iteration = state.iteration
        trainer.firstLoss = state.firstLoss

        let processCount = processes?.size ?? 1
        let algorithms = try algorithmSelection(graph: graph, inputShape: Shape([recipe.resolvedBatch / processCount] + sampleShape))
        graph.trainingOptions.algorithms = algorithms

        let createdFolder = isFirstProcess && !FileManager.default.fileExists(atPath: folder)
        var loop = Loop(session: self, graph: graph, trainer: trainer, validation: validation,
                        labelMap: labelMap, consolidated: try recipe.consolidatedForeground(labelMap: labelMap),
                        state: state, checkpointWritten: resumeFile != nil)
        // One run at a time writes into a folder: a second `--out` or `--resume` on it is refused
        // here, before it writes anything (and without removing the folder the first one uses).
        var lock: RunFolderLock?
        if isFirstProcess {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw PixelwiseError.file(path: folder, problem: "cannot create the run folder (\(error.localizedDescription))")
            }
            lock = try RunFolderLock(folder: folder)
            if let stale = lock?.takenOver {
                onEvent?(.warning("pixelwise: note: \(folder) was locked by process \(stale.pid) on \(stale.host), which ended without unlocking it (killed?); taking it over"))
            }
            // A run that started beside this one may have finished (and unlocked) between the
            // check before reading data and this lock: looked at again now that the folder is ours.
            if resumeFile == nil, let file = ["last.h5", "log.csv"].first(where: { FileManager.default.fileExists(atPath: folder + "/" + $0) }) {
                lock?.release()
                lock = nil
                throw PixelwiseError.file(path: folder, problem: "already holds a training run (its \(file) appeared while this run was starting); continue it with --resume \(folder) or choose another --out")
            }
            if let resumeFile, let warning = resumeFile.integrityWarning(path: folder + "/last.h5") {
                onEvent?(.warning("pixelwise: warning: " + warning))
            }
            if case .recorded(let table) = algorithms, resumeFile == nil || !FileManager.default.fileExists(atPath: algorithmsFile) {
                try AtomicFile.write(Self.algorithmsJSON(table), to: algorithmsFile)
            }
        }
        defer { lock?.release() }
        do {
            onEvent?(.started(TrainingStart(model: graph.metadata["model"] ?? "network", parameters: graph.parameterCount,
                                            images: images, inputTile: patches.input, outputTile: patches.output,
                                            batch: recipe.resolvedBatch, processes: processes?.size ?? 1, threads: Threads.count,
                                            precision: graph.trainingPrecision, algorithm: recipe.resolvedAlgorithm, folder: folder,
                                            iterations: recipe.iterationLimit == Int.max ? nil : recipe.iterationLimit,
                                            minutes: recipe.minutes, volumeInput: patches.volume?.input, volumeOutput: patches.volume?.output)))
            return try loop.run(batches: batches, stop: stop)
        } catch let error as PixelwiseError {
            // A run that never reached a checkpoint has nothing worth keeping.
            if createdFolder && !loop.checkpointWritten { try? FileManager.default.removeItem(atPath: folder) }
            guard case .training(let message) = error else { throw error }
            let kept = loop.checkpointWritten ? "; the last checkpoint is \(folder)/last.h5 (iteration \(loop.state.iteration))" : ""
            throw PixelwiseError.training("training stopped: \(message) (--lr \(recipe.learningRate))\(kept)")
        } catch {
            if createdFolder && !loop.checkpointWritten { try? FileManager.default.removeItem(atPath: folder) }
            throw error
        }
    }

    /// The run folder's record of the training algorithms (`algorithmSelection`).
    var algorithmsFile: String { folder + "/algorithms.json" }

    /// How this run's training convolutions choose their algorithm. By default (`.fastest`) a table
    /// measured (or found in the per-machine cache) now, per convolution and pass, process 0's on every
    /// process, and kept in the run folder's algorithms.json: a resumed run reads it back, so it runs
    /// the same algorithms as the uninterrupted run (bit-identical) on any machine. A resumed run of an
    /// earlier version (no algorithms.json) keeps that version's fixed rules.
    func algorithmSelection(graph: Graph, inputShape: Shape) throws -> AlgorithmSelection {
        let asked = recipe.resolvedAlgorithm
        guard asked == .fastest else { return asked.selection }
        if resumeFile != nil {
            guard let data = FileManager.default.contents(atPath: algorithmsFile) else { return .rules }
            do {
                return .recorded(try JSONDecoder().decode(AlgorithmTable.self, from: data))
            } catch {
                throw PixelwiseError.file(path: algorithmsFile, problem: "is not an algorithm table (\(error.localizedDescription)); the run cannot resume with the same algorithms")
            }
        }
        return .recorded(try graph.trainingAlgorithmTable(inputShape: inputShape, processes: processes))
    }

    static func algorithmsJSON(_ table: AlgorithmTable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(table), as: UTF8.self) + "\n"
    }

    /// The network: from the checkpoint when resuming, else a fresh preset; configured by the recipe.
    func makeGraph(channels: Int, labelMap: LabelMap, normalisation: RawNormalisation, spatialRank: Int = 2) throws -> Graph {
        let graph: Graph
        if let resumeFile {
            graph = try resumeFile.makeGraph(path: folder + "/last.h5")
            if let words = resumeFile.rngState { try DropoutState.restore(words, into: graph, path: folder + "/last.h5") }
        } else {
            var options = PresetOptions()
            options.inputChannels = channels
            options.classes = labelMap.classCount
            options.baseFilters = recipe.baseFilters
            options.norm = recipe.norm
            options.seed = recipe.resolvedSeed
            graph = try ModelZoo.preset(named: recipe.resolvedModel).build(options)
            graph.metadata["model"] = recipe.resolvedModel
            var conventions = ModelConventions(classes: labelMap.classCount)
            conventions.normalisation = normalisation
            conventions.sliceAxis = recipe.sliceAxis
            let layout = try recipe.layoutChoice()
            let layoutClasses = recipe.foreground == nil && layout != .folders
            if recipe.classes != nil || layoutClasses || recipe.instanceBoundaries == true {
                conventions.labelMap = labelMap
                conventions.classValues = labelMap.outputValues
            } else {
                conventions.classValues = [0, recipe.foregroundValues.max() ?? 255]
            }
            conventions.store(in: graph)
        }
        guard graph.spatialRank == spatialRank else {
            throw PixelwiseError.invalidArgument("\(recipe.resolvedModel) is a \(graph.spatialRank)-D network, but this run prepared \(spatialRank)-D data")
        }
        recipe.resolvedAlgorithm.configure(graph)  // training, and inference for validation
        let precision = recipe.precision ?? .float32
        if let warning = precision.fallbackWarning { onEvent?(.warning(warning)) }
        graph.trainingPrecision = precision.effective
        guard graph.inputChannels == channels else {
            throw PixelwiseError.file(path: recipe.images!, problem: "images have \(channels) channel(s), the model takes \(graph.inputChannels)")
        }
        return graph
    }

    /// The loop with its checkpoints, validation, log and report, in an existing run folder.
    struct Loop {
        let session: TrainingSession
        let graph: Graph
        let trainer: Trainer
        let validation: ValidationData
        let labelMap: LabelMap
        /// The classes `foreground_classes` makes the foreground of a many-class run's validation.
        let consolidated: [Int]?
        var state: TrainerState
        var checkpointWritten: Bool

        /// More than two classes: validation scores every class (Dice, IoU) instead of the ISBI
        /// measures — unless `foreground_classes` consolidates them into two.
        var validatesClasses: Bool { labelMap.classCount > 2 && consolidated == nil }
        /// The foreground classes of the two-class validation.
        var foregroundClasses: [Int] { consolidated ?? [1] }

        var recipe: Recipe { session.recipe }
        var folder: String { session.folder }
        var writes: Bool { session.isFirstProcess }

        mutating func run(batches produce: @escaping @Sendable (Int) -> Batch, stop: StopRequest) throws -> Outcome {
            if writes { try AtomicFile.write(recipe.yaml(), to: folder + "/config.yaml") }
            let startIteration = trainer.iteration
            // A resumed log keeps only the rows up to the checkpoint (a crash may have logged more).
            let columns = validatesClasses ? TrainingLog.classColumns(names: (0..<labelMap.classCount).map(labelMap.name(ofClass:)))
                : TrainingLog.twoClassColumns
            let log = writes ? try TrainingLog(path: folder + "/log.csv", continuingAfter: session.resumeFile != nil ? startIteration : nil,
                                               validationColumns: columns) : nil
            let processCount = session.processes?.size ?? 1
            // Every process draws the same batch k and trains on its own share of it.
            let share = (session.processes?.rank ?? 0, processCount)
            let prefetcher = BatchPrefetcher(capacity: 3, start: startIteration, workers: 1) { k in produce(k).share(share.0, of: share.1) }
            defer { prefetcher.stop() }
            var batches = PrefetchedBatches(prefetcher: prefetcher)
            let deadline = recipe.minutes.map { Date().timeIntervalSince1970 + $0 * 60 - state.elapsed }
            let started = Date().timeIntervalSince1970 - state.elapsed
            let validateEvery = recipe.resolvedValidateEvery, checkpointEvery = recipe.resolvedCheckpointEvery

            try trainer.train(source: &batches, iterations: recipe.iterationLimit, deadline: deadline, shouldStop: { stop.isRequested }) { p in
                let elapsed = Date().timeIntervalSince1970 - started
                try log?.step(iteration: p.iteration, seconds: elapsed, loss: p.loss, learningRate: p.learningRate)
                state.losses.append(TrainerState.Point(iteration: p.iteration, loss: p.loss))
                session.onEvent?(.step(iteration: p.iteration, loss: p.loss, learningRate: p.learningRate,
                                       patchesPerSecond: p.patchesPerSecond * Double(processCount), elapsed: elapsed))
                if p.iteration % validateEvery == 0 { try validate(log: log) }
                if p.iteration % checkpointEvery == 0 { try checkpoint(started: started, log: log) }
            }
            if trainer.iteration % validateEvery != 0 && trainer.iteration > startIteration { try validate(log: log) }
            try checkpoint(started: started, log: log)
            if writes { try validation.report(folder: folder, graph: graph, recipe: recipe, state: state, labelMap: labelMap).write() }
            if let processes = session.processes {
                // The processes stopped together; a stop requested in any of them is the run's.
                let agreed = try processes.sum([stop.isRequested ? 1 : 0, Float(stop.code)])
                if agreed[0] > 0 { stop.request(code: Int32(agreed[1] / agreed[0])) }
            }
            return stop.isRequested ? .stopped(iteration: trainer.iteration, code: stop.code) : .finished(iteration: trainer.iteration)
        }

        /// last.h5 (and model.h5 when there is no validation to choose the best).
        mutating func checkpoint(started: Double, log: TrainingLog?) throws {
            guard writes else { return }
            state.iteration = trainer.iteration
            state.elapsed = Date().timeIntervalSince1970 - started
            state.firstLoss = trainer.firstLoss
            let file = try ModelFile(graph: graph, optimizer: trainer.optimizer, optimizerDescription: recipe.resolvedOptimizer.rawValue,
                                     trainerState: try state.json(), rngState: DropoutState.words(of: graph))
            try file.write(to: folder + "/last.h5")
            if validation.isEmpty { try ModelFile(graph: graph).write(to: folder + "/model.h5") }
            try log?.save()  // log.csv then holds exactly the rows up to last.h5
            checkpointWritten = true
        }

        mutating func validate(log: TrainingLog?) throws {
            guard writes, !validation.isEmpty else { return }
            if validatesClasses { return try validateClasses(log: log) }
            // One threshold sweep for the whole validation set, as the ISBI 2012 scorer does (issue 22).
            var sweep = SetThresholdSweep()
            switch validation {
            case let .images(samples, tiling):
                let foreground = foregroundClasses
                for sample in samples {
                    let probabilities = try tiling.segment(planarTensor(sample.raw))
                    sweep.add(probability: consolidated == nil ? foregroundProbability(probabilities) : foregroundProbability(probabilities, classes: foreground),
                              groundTruth: sample.labels.map { foreground.contains(Int($0)) }, width: sample.width, height: sample.height)
                }
            case let .volumes(volumes, tiler, _):
                try tiler.addSlices(of: volumes, foreground: consolidated, to: &sweep)
            }
            let mean = Scores(name: "validation", set: sweep)
            state.validations.append(TrainerState.Validation(iteration: trainer.iteration, scores: mean))
            log?.validation(iteration: trainer.iteration, scores: mean)
            let isBest = mean.randError < state.bestRandError
            if isBest {
                state.bestRandError = mean.randError
                state.bestIteration = trainer.iteration
                try ModelFile(graph: graph).write(to: folder + "/model.h5")
            }
            session.onEvent?(.validation(iteration: trainer.iteration, scores: mean, isBest: isBest))
        }

        /// C > 2 classes: the arg-max class of every validation pixel against the truth, one
        /// confusion matrix for the whole set; per-class Dice and IoU and their means (class 0 left
        /// out, as `evaluate --classes`). model.h5 keeps the best mean Dice.
        mutating func validateClasses(log: TrainingLog?) throws {
            let scores = try Self.classScores(validation, labelMap: labelMap)
            var history = state.classValidations ?? []
            history.append(TrainerState.ClassValidation(iteration: trainer.iteration, scores: scores))
            state.classValidations = history
            log?.validation(iteration: trainer.iteration, classScores: scores)
            let meanDice = scores.meanDice ?? 0
            let isBest = meanDice > (state.bestMeanDice ?? -1)
            if isBest {
                state.bestMeanDice = meanDice
                state.bestIteration = trainer.iteration
                try ModelFile(graph: graph).write(to: folder + "/model.h5")
            }
            session.onEvent?(.classValidation(iteration: trainer.iteration, scores: scores, isBest: isBest))
        }

        /// Per-class scores of the network's arg-max classes on the validation images or volumes,
        /// pooled over the set (no HD95).
        static func classScores(_ validation: ValidationData, labelMap: LabelMap) throws -> ClassScores {
            var matrix = ConfusionMatrix(classCount: labelMap.classCount)
            switch validation {
            case let .images(samples, tiling):
                for sample in samples {
                    matrix.add(prediction: argmaxClasses(try tiling.segment(planarTensor(sample.raw))), truth: sample.labels)
                }
            case let .volumes(volumes, tiler, _):
                for volume in volumes {
                    let (classes, p) = try tiler.probabilities(volume)
                    let probabilities = Tensor(shape: Shape([1, classes, 1, volume.voxels]), scalars: p)
                    matrix.add(prediction: argmaxClasses(probabilities), truth: volume.labels)
                }
            }
            return ClassEvaluation.scores(name: "validation", matrix, labelMap, [Double?](repeating: nil, count: labelMap.classCount))
        }
    }
}

/// What a session trains, reported when its loop starts.
public struct TrainingStart: CustomStringConvertible, Sendable {
    public var model: String
    public var parameters: Int
    public var images: Int
    public var inputTile: Int
    public var outputTile: Int
    public var batch: Int
    public var processes: Int
    /// Threads per process.
    public var threads: Int
    public var precision: Precision
    public var algorithm: ConvolutionAlgorithm
    public var folder: String
    /// The iteration limit (nil with only a time limit).
    public var iterations: Int?
    public var minutes: Double?
    /// 3-D networks: the input and output patch sizes (z, y, x).
    public var volumeInput: [Int]? = nil
    public var volumeOutput: [Int]? = nil

    /// `training unet (…) on 2 image(s), patches 64² → 64², batch 1, 1 thread(s); run folder run`.
    public var description: String {
        let parallel = processes > 1 ? " (\(batch / processes) in each of \(processes) processes)" : ""
        return """
        training \(model) (\(parameters) parameters) on \(images) \(volumeInput == nil ? "image(s)" : "volume(s)"), patches \(patchText), \
        batch \(batch)\(parallel), \(threads) thread(s)\(processes > 1 ? " per process" : "")\
        \(precision == .bfloat16 ? ", bf16 mixed precision" : "")\(algorithm == .winograd ? ", Winograd" : algorithm == .exact ? ", exact (direct) convolutions" : ""); run folder \(folder)
        """
    }
}

extension TrainingStart {
    var patchText: String {
        guard let i = volumeInput, let o = volumeOutput else { return "\(inputTile)² → \(outputTile)²" }
        return i.map(String.init).joined(separator: "×") + " → " + o.map(String.init).joined(separator: "×")
    }
}

extension Precision {
    /// The warning for a bf16 request on a CPU without bf16 arithmetic (which then runs in fp32):
    /// a silent fallback would make a "fast mode" look broken, and an error would make a
    /// configuration machine-specific.
    public var fallbackWarning: String? {
        self == .bfloat16 && effective != self ? "pixelwise: warning: this CPU has no bf16 arithmetic (AVX-512-BF16 or AMX); running in fp32" : nil
    }
}
