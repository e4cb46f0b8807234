import ArgumentParser
import Foundation
import PixelwiseIO
import PixelwiseModels
import PixelwiseCore
import PixelwiseKernels
import PixelwiseNN

/// Set by SIGINT/SIGTERM; training saves a checkpoint and stops at the next iteration.
nonisolated(unsafe) var stopRequested = false
/// The signal that asked to stop (the exit code is 128 + it, the shell convention).
nonisolated(unsafe) var stopSignal: Int32 = 0

/// SIGINT/SIGTERM handler: the first asks for a clean stop; a second one, while the checkpoint is
/// being written, quits at once (checkpoint files are written atomically, so none is left half-written).
private func requestStop(_ signal: Int32) {
    if stopRequested { _exit(128 + signal) }
    stopSignal = signal
    stopRequested = true
}

/// One `pixelwise train` run: data, model, optimiser, the loop, checkpoints, log and report.
///
/// Under `mpirun` (`processes` set) every process runs this with the same configuration: each
/// trains on its share of every batch, and process 0 alone writes the run folder and prints.
final class TrainingRun {
    let configuration: TrainingConfiguration
    let folder: String
    let resumeFile: ModelFile?
    let seed: UInt64
    let processes: (any ProcessGroup)?
    /// How many of the run's processes share this machine's cores.
    let localProcesses: Int
    /// Process 0 (or the only one): it writes the files and the progress.
    var isFirstProcess: Bool { (processes?.rank ?? 0) == 0 }

    init(configuration given: TrainingConfiguration, resume: String?, processes: (any ProcessGroup)? = nil, localProcesses: Int = 1) throws {
        self.processes = processes
        self.localProcesses = max(1, localProcesses)
        var configuration = given
        if let resume {
            let saved = resume + "/config.yaml"
            if FileManager.default.fileExists(atPath: saved) {
                configuration = try TrainingConfiguration.load(saved).overridden(by: given)
            }
            resumeFile = try ModelFile.read(from: resume + "/last.h5")
        } else {
            resumeFile = nil
        }
        guard configuration.images != nil, configuration.labels != nil else {
            throw PixelwiseError.invalidArgument("training needs --images and --labels (or images: and labels: in the configuration)")
        }
        if (configuration.validateImages == nil) != (configuration.validateLabels == nil) {
            throw PixelwiseError.invalidArgument("give both --validate-images and --validate-labels, or neither")
        }
        for (name, value) in [("batch", configuration.batch), ("patch", configuration.patch), ("iterations", configuration.iterations),
                              ("validate-every", configuration.validateEvery), ("checkpoint-every", configuration.checkpointEvery),
                              ("base-filters", configuration.baseFilters), ("threads", configuration.threads)] {
            if let value, value <= 0 { throw PixelwiseError.invalidArgument("--\(name) must be positive, got \(value)") }
        }
        if let processes, (configuration.batch ?? 4) % processes.size != 0 {
            throw PixelwiseError.invalidArgument("--batch \(configuration.batch ?? 4) does not split evenly over \(processes.size) processes; use a multiple of \(processes.size)")
        }
        if let w = configuration.warmup, w < 0 { throw PixelwiseError.invalidArgument("--warmup must be 0 or more, got \(w)") }
        if let m = configuration.minutes, !(m > 0) { throw PixelwiseError.invalidArgument("--minutes must be positive, got \(m)") }
        if let lr = configuration.lr, !(lr > 0 && lr.isFinite) { throw PixelwiseError.invalidArgument("--lr must be positive, got \(lr)") }
        if let d = configuration.weightDecay, !(d >= 0 && d.isFinite) {
            throw PixelwiseError.invalidArgument("--weight-decay must be 0 or more, got \(d)")
        }
        if let precision = configuration.precision, Precision(rawValue: precision) == nil {
            throw PixelwiseError.invalidArgument("unknown --precision \(precision); use fp32 or bf16")
        }
        if let weights = configuration.classWeights, !["none", "balanced"].contains(weights) {
            throw PixelwiseError.invalidArgument("unknown --class-weights \(weights); use none or balanced")
        }
        self.configuration = configuration
        seed = configuration.seed ?? 1
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        folder = configuration.out ?? "runs/" + formatter.string(from: Date())

        // Every name is checked now, before any data is read or any file written.
        _ = try ModelZoo.preset(named: configuration.model ?? "unet")
        _ = try makeSchedule()
        _ = try makeOptimizer()
        _ = try makeLoss(frequencies: nil, startIteration: 0)
        if let resume, resumeFile != nil {
            // The network comes from the checkpoint; a flag asking for another one is a mistake, not a wish.
            let saved = try? TrainingConfiguration.load(resume + "/config.yaml")
            if let asked = given.model, asked != (saved?.model ?? "unet") {
                throw PixelwiseError.invalidArgument("--model \(asked) differs from the run's \(saved?.model ?? "unet"); a resumed run keeps the network of \(resume)/last.h5")
            }
            if let asked = given.baseFilters, asked != saved?.baseFilters {
                throw PixelwiseError.invalidArgument("--base-filters \(asked) differs from the run's; a resumed run keeps the network of \(resume)/last.h5")
            }
        } else {
            for file in ["last.h5", "log.csv"] where FileManager.default.fileExists(atPath: folder + "/" + file) {
                throw PixelwiseError.file(path: folder, problem: "already holds a training run; continue it with --resume \(folder) or choose another --out")
            }
        }
    }

    var labelMap: LabelMap { .foreground(configuration.foreground ?? [255]) }

    func loadSamples(images: String, labels: String) throws -> [Sample] {
        if HDF5VolumeDataset.reference(images) != nil {
            return try HDF5VolumeDataset(raw: images, labels: labels, labelMap: labelMap).loadAll()
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: images, isDirectory: &isFolder) else {
            throw PixelwiseError.file(path: images, problem: "no such file or folder")
        }
        let samples = isFolder.boolValue
            ? try FilePairDataset.folderPairs(raw: images, labels: labels, labelMap: labelMap).loadAll()
            : try StackPairDataset(raw: images, labels: labels, labelMap: labelMap).loadAll()
        guard !samples.isEmpty else { throw PixelwiseError.file(path: images, problem: "contains no images") }
        return samples
    }

    func start() throws {
        if let t = configuration.threads {
            Threads.set(t)
        } else if localProcesses > 1 {
            // Processes sharing a machine share its cores (mpirun binds each to its own).
            Threads.set(max(1, Threads.count / localProcesses))
        }
        // Read and check all data before the run folder exists: a bad file leaves nothing behind.
        let training = try loadSamples(images: configuration.images!, labels: configuration.labels!)
        let validation = try configuration.validateImages.map { try loadSamples(images: $0, labels: configuration.validateLabels!) } ?? []
        let channels = training[0].raw.channels
        if let odd = validation.first(where: { $0.raw.channels != channels }) {
            throw PixelwiseError.file(path: odd.name, problem: "has \(odd.raw.channels) channel(s), the training images have \(channels)")
        }

        // The network: from the checkpoint when resuming, else a fresh preset.
        let graph: Graph
        if let resumeFile {
            graph = try resumeFile.makeGraph(path: folder + "/last.h5")
            if let words = resumeFile.rngState { try DropoutState.restore(words, into: graph, path: folder + "/last.h5") }
        } else {
            var options = PresetOptions()
            options.inputChannels = channels
            options.classes = 2
            options.baseFilters = configuration.baseFilters
            options.seed = seed
            graph = try ModelZoo.preset(named: configuration.model ?? "unet").build(options)
            graph.metadata["model"] = configuration.model ?? "unet"
            var conventions = ModelConventions(classes: 2)
            conventions.classValues = [0, (configuration.foreground ?? [255]).max() ?? 255]
            conventions.store(in: graph)
        }
        guard graph.spatialRank == 2 else {
            throw PixelwiseError.invalidArgument("\(configuration.model ?? "the model") is a 3-D network; pixelwise train cuts 2-D patches from images and slices (3-D networks train through the library: Trainer with your own BatchSource)")
        }
        graph.winogradTraining = configuration.winograd ?? false
        graph.winogradInference = configuration.winograd ?? false  // validation
        graph.trainingPrecision = (configuration.precision.flatMap(Precision.init(rawValue:)) ?? .float32).checkedForThisCPU()
        guard graph.inputChannels == channels else {
            throw PixelwiseError.file(path: configuration.images!, problem: "images have \(channels) channel(s), the model takes \(graph.inputChannels)")
        }
        let tiling = try TiledSegmenter(graph: graph, tile: configuration.patch ?? 256)
        let geometry = try PatchGeometry(input: tiling.inputTile, output: tiling.outputTile)
        let batchSize = configuration.batch ?? 4
        var augmentation = Augmentation()
        if configuration.elastic ?? false { augmentation.elastic = ElasticDeformation(alpha: 4, sigma: 10) }
        if configuration.blur ?? false { augmentation.blurSigma = 1 }
        if configuration.clahe ?? false { augmentation.clahe = CLAHE() }
        if configuration.jitter ?? false { augmentation.jitter = IntensityJitter(brightness: 0.1, contrast: 0.1, gamma: 0.1) }
        let prior = (configuration.patchPrior ?? false)
            ? try PatchPrior(samples: training, windowWidth: tiling.outputTile, windowHeight: tiling.outputTile, classCount: 2) : nil
        let source = try PatchBatchSource(samples: training, geometry: geometry, batchSize: batchSize, augmentation: augmentation,
                                          prior: prior, seed: seed)

        var optimizer = try makeOptimizer()
        var startIteration = 0
        var state = TrainerState()
        if let resumeFile {
            try optimizer.restore(state: resumeFile.optimizerState ?? [], step: resumeFile.optimizerStep ?? 0)
            if let json = resumeFile.trainerState { state = try TrainerState(json: json) }
            startIteration = state.iteration
        }
        let loss = try makeLoss(frequencies: try ClassFrequencies(samples: training, classCount: 2), startIteration: startIteration)
        let totalIterations = configuration.iterations ?? (configuration.minutes == nil ? 2000 : Int.max)
        let trainer = Trainer(graph: graph, loss: loss, optimizer: optimizer, schedule: try makeSchedule(),
                              baseLearningRate: learningRate, warmupIterations: configuration.warmup ?? 0)
        trainer.processes = processes
        trainer.iteration = startIteration
        trainer.firstLoss = state.firstLoss

        let createdFolder = isFirstProcess && !FileManager.default.fileExists(atPath: folder)
        var checkpointWritten = resumeFile != nil
        if isFirstProcess {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw PixelwiseError.file(path: folder, problem: "cannot create the run folder (\(error.localizedDescription))")
            }
        }
        do {
            try train(graph: graph, trainer: trainer, source: source, training: training, validation: validation, tiling: tiling,
                      geometry: geometry, batchSize: batchSize, totalIterations: totalIterations, state: &state,
                      checkpointWritten: &checkpointWritten)
        } catch let error as PixelwiseError {
            // A run that never reached a checkpoint has nothing worth keeping.
            if createdFolder && !checkpointWritten { try? FileManager.default.removeItem(atPath: folder) }
            guard case .training(let message) = error else { throw error }
            let kept = checkpointWritten ? "; the last checkpoint is \(folder)/last.h5 (iteration \(state.iteration))" : ""
            throw PixelwiseError.training("training stopped: \(message) (--lr \(learningRate))\(kept)")
        } catch {
            if createdFolder && !checkpointWritten { try? FileManager.default.removeItem(atPath: folder) }
            throw error
        }
    }

    /// The loop with its checkpoints, validation, log and report, in an existing run folder.
    private func train(graph: Graph, trainer: Trainer, source: PatchBatchSource, training: [Sample], validation: [Sample],
                       tiling: TiledSegmenter, geometry: PatchGeometry, batchSize: Int, totalIterations: Int,
                       state: inout TrainerState, checkpointWritten: inout Bool) throws {
        let writes = isFirstProcess
        if writes { try configuration.yaml().write(toFile: folder + "/config.yaml", atomically: true, encoding: .utf8) }
        let startIteration = trainer.iteration
        // A resumed log keeps only the rows up to the checkpoint (a crash may have logged more).
        let log = writes ? try TrainingLog(path: folder + "/log.csv", continuingAfter: resumeFile != nil ? startIteration : nil) : nil
        let progress = writes ? ProgressDisplay(total: totalIterations == Int.max ? nil : totalIterations, minutes: configuration.minutes) : nil
        let processCount = processes?.size ?? 1
        let validateEvery = configuration.validateEvery ?? 200
        let checkpointEvery = configuration.checkpointEvery ?? 200
        signal(SIGINT) { requestStop($0) }
        signal(SIGTERM) { requestStop($0) }
        // A parent may have started us with these signals blocked (test runners do): unblock them,
        // or Ctrl-C and `kill` would wait in the queue until training ends.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)

        let parallel = processCount > 1 ? " (\(batchSize / processCount) in each of \(processCount) processes)" : ""
        if writes {
            FileHandle.standardError.write(Data("""
            training \(graph.metadata["model"] ?? "network") (\(graph.parameterCount) parameters) on \(training.count) image(s), \
            patches \(geometry.inputWidth)² → \(geometry.outputWidth)², batch \(batchSize)\(parallel), \(Threads.count) thread(s)\
            \(processCount > 1 ? " per process" : "")\(graph.trainingPrecision == .bfloat16 ? ", bf16 mixed precision" : "")\
            \(graph.winogradTraining ? ", Winograd" : ""); run folder \(folder)\n
            """.utf8))
        }

        // Every process draws the same batch k and trains on its own share of it.
        let share = (processes?.rank ?? 0, processCount)
        let prefetcher = BatchPrefetcher(capacity: 3, start: startIteration, workers: 1) { k in source.batch(k).share(share.0, of: share.1) }
        defer { prefetcher.stop() }
        var batches = PrefetchedBatches(prefetcher: prefetcher)
        let deadline = configuration.minutes.map { Date().timeIntervalSince1970 + $0 * 60 - state.elapsed }
        let started = Date().timeIntervalSince1970 - state.elapsed
        var trainerState = state

        func checkpoint() throws {
            guard writes else { return }
            trainerState.iteration = trainer.iteration
            trainerState.elapsed = Date().timeIntervalSince1970 - started
            trainerState.firstLoss = trainer.firstLoss
            let file = try ModelFile(graph: graph, optimizer: trainer.optimizer, optimizerDescription: configuration.optimizer ?? "adam",
                                     trainerState: try trainerState.json(), rngState: DropoutState.words(of: graph))
            try file.write(to: folder + "/last.h5")
            if validation.isEmpty { try ModelFile(graph: graph).write(to: folder + "/model.h5") }
        }

        func validate() throws {
            guard writes, !validation.isEmpty else { return }
            let scores = try validation.map { sample -> Scores in
                let probabilities = try tiling.segment(planarTensor(sample.raw))
                return Scores(name: sample.name, foreground: foregroundProbability(probabilities), isProbability: true,
                              truth: sample.labels.map { $0 == 1 }, width: sample.width, height: sample.height, warping: false)
            }
            let mean = Scores(meanOf: scores)
            trainerState.validations.append(TrainerState.Validation(iteration: trainer.iteration, scores: mean))
            log?.validation(iteration: trainer.iteration, scores: mean)
            if mean.randError < trainerState.bestRandError {
                trainerState.bestRandError = mean.randError
                trainerState.bestIteration = trainer.iteration
                try ModelFile(graph: graph).write(to: folder + "/model.h5")
            }
            progress?.note(String(format: "validation at %d: pixel error %.4f, Rand error %.4f, IoU %.4f", trainer.iteration,
                                 mean.pixelError, mean.randError, mean.foregroundIoU)
                          + (trainerState.bestIteration == trainer.iteration ? " (best so far, saved model.h5)" : ""))
        }

        defer { state = trainerState }
        try trainer.train(source: &batches, iterations: totalIterations, deadline: deadline, shouldStop: { stopRequested }) { p in
            let elapsed = Date().timeIntervalSince1970 - started
            log?.step(iteration: p.iteration, seconds: elapsed, loss: p.loss, learningRate: p.learningRate)
            trainerState.losses.append(TrainerState.Point(iteration: p.iteration, loss: p.loss))
            progress?.update(iteration: p.iteration, loss: p.loss, patchesPerSecond: p.patchesPerSecond * Double(processCount), elapsed: elapsed)
            if p.iteration % validateEvery == 0 { try validate() }
            if p.iteration % checkpointEvery == 0 {
                try checkpoint()
                checkpointWritten = true
            }
        }
        progress?.finish()
        if trainer.iteration % validateEvery != 0 && trainer.iteration > startIteration { try validate() }
        try checkpoint()
        checkpointWritten = true
        log?.flush()
        if writes {
            try TrainingReport(folder: folder, graph: graph, configuration: configuration, state: trainerState, validation: validation,
                               tiling: tiling).write()
        }
        if let processes {
            // The processes stopped together; a signal to any of them is the run's exit status.
            let agreed = try processes.sum([stopRequested ? 1 : 0, Float(stopSignal)])
            if agreed[0] > 0 {
                stopRequested = true
                stopSignal = Int32(agreed[1] / agreed[0])
            }
        }
        guard writes else {
            if stopRequested { throw ExitCode(128 + stopSignal) }
            return
        }
        if stopRequested {
            FileHandle.standardError.write(Data("""
            pixelwise: interrupted at iteration \(trainer.iteration): checkpoint saved in \(folder)/last.h5; \
            continue with `\(processCount > 1 ? "mpirun -np \(processCount) " : "")pixelwise train --resume \(folder)`\n
            """.utf8))
            throw ExitCode(128 + stopSignal)
        }
        FileHandle.standardError.write(Data("finished at iteration \(trainer.iteration); model \(folder)/model.h5, report \(folder)/report.html\n".utf8))
    }

    var learningRate: Float { configuration.lr ?? ((configuration.optimizer ?? "adam") == "sgd" ? 1e-2 : 1e-3) }

    func makeOptimizer() throws -> any Optimizer {
        switch configuration.optimizer ?? "adam" {
        case "adam": return Adam(learningRate: learningRate, weightDecay: configuration.weightDecay ?? 0)
        case "adamw": return Adam(learningRate: learningRate, weightDecay: configuration.weightDecay ?? 1e-4, decoupled: true)
        case "sgd": return SGD(learningRate: learningRate, momentum: 0.99, weightDecay: configuration.weightDecay ?? 0)
        case let other: throw PixelwiseError.invalidArgument("unknown --optimizer \(other); use adam, adamw or sgd")
        }
    }

    func makeSchedule() throws -> LearningRateSchedule {
        switch configuration.schedule ?? "poly" {
        case "constant": return .constant
        case "poly": return .polynomial(power: 0.9)
        case "cosine": return .cosine
        case "step": return .step(every: max(1, (configuration.iterations ?? 2000) / 3), factor: 0.1)
        case let other: throw PixelwiseError.invalidArgument("unknown --schedule \(other); use constant, poly, cosine or step")
        }
    }

    /// The loss the configuration names; `frequencies` (nil only for checking the names) give
    /// balanced class weights, and error masking draws continue from `startIteration`.
    func makeLoss(frequencies: ClassFrequencies?, startIteration: Int) throws -> any Loss {
        let name = configuration.loss ?? "ce"
        let parts = name.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else {
            if configuration.switchAt != nil { throw PixelwiseError.invalidArgument("switch_at needs two losses, e.g. --loss ce,malis") }
            return try makeLoss(named: name, frequencies: frequencies, startIteration: startIteration)
        }
        // FIRST,SECOND: e.g. Tschopp's Softmax → Malis fine-tuning.
        guard let switchAt = configuration.switchAt else {
            throw PixelwiseError.invalidArgument("loss \(name) needs --switch-at N (the iteration at which \(parts[1]) takes over)")
        }
        guard switchAt >= 1 else { throw PixelwiseError.invalidArgument("switch_at must be positive, got \(switchAt)") }
        return try ScheduledLoss(try makeLoss(named: parts[0], frequencies: frequencies, startIteration: startIteration),
                                 then: try makeLoss(named: parts[1], frequencies: frequencies, startIteration: startIteration), switchAt: switchAt)
    }

    /// One loss by name, wrapped in error masking when asked (not Malis: a pair loss has no per-pixel errors to mask).
    func makeLoss(named name: String, frequencies: ClassFrequencies?, startIteration: Int) throws -> any Loss {
        let weights: [Float]? = configuration.classWeights == "balanced" ? frequencies?.inverseFrequencyWeights : nil
        let base: any Loss
        switch name {
        case "ce": base = SoftmaxCrossEntropy(classWeights: weights)
        case "focal": base = FocalLoss(alpha: weights, gamma: 2)
        case "dice": base = DiceLoss()
        case "dice+ce": base = CombinedLoss.diceCrossEntropy()
        case "distance-aware": base = DistanceAwareCrossEntropy()
        case "bce": base = BinaryCrossEntropy(classWeights: weights)
        case "malis": return MalisLoss()
        default: throw PixelwiseError.invalidArgument("unknown loss \(name); use ce, focal, dice, dice+ce, distance-aware, bce or malis, or two as FIRST,SECOND")
        }
        guard configuration.errorMasking ?? false else { return base }
        func masked<L: Loss>(_ loss: L) -> any Loss { ResumableErrorMasking(loss, seed: seed, startingAt: startIteration) }
        return masked(base)
    }
}

/// What a checkpoint remembers about the run besides weights and optimiser state.
struct TrainerState: Codable {
    struct Point: Codable { var iteration: Int; var loss: Float }
    struct Validation: Codable { var iteration: Int; var scores: Scores }
    var iteration = 0
    var elapsed: Double = 0
    var bestRandError = Double.infinity
    var bestIteration = 0
    /// The trainer's reference for an exploding loss (the run's first loss).
    var firstLoss: Float?
    var losses: [Point] = []
    var validations: [Validation] = []

    init() {}
    init(json: String) throws {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        self = try decoder.decode(TrainerState.self, from: Data(json.utf8))
    }
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
