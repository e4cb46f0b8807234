import ArgumentParser
import Foundation
import PixelwiseIO
import PixelwiseCore
import PixelwiseKernels
import PixelwiseNN
import PixelwiseDistributed

/// `pixelwise train`: fit a model to raw/label image pairs.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a segmentation model on raw and label images.",
        discussion: """
        Writes RUN_DIR/model.h5 (best by validation Rand error, or the latest without validation), \
        RUN_DIR/last.h5 (full state for --resume), RUN_DIR/log.csv, RUN_DIR/config.yaml and \
        RUN_DIR/report.html. Every flag can also be set in a YAML file given with --config, using \
        the flag's name with '_' for '-' (flags win over the file). Ctrl-C (or SIGTERM) saves a checkpoint and stops; \
        `pixelwise train --resume RUN_DIR [--iterations N]` continues exactly where it stopped. \
        Data-parallel training: `mpirun -np N pixelwise train ...` (Open MPI) splits every batch \
        over N processes and averages their gradients; process 0 writes the run folder.
        """)

    @Option(help: "Folder of raw images, or a multi-page TIFF stack.") var images: String?
    @Option(help: "Folder of label images matching --images by sorted name, or a TIFF stack.") var labels: String?
    @Option(help: "YAML configuration file.") var config: String?
    @Option(help: "Model preset (see `pixelwise models list`; default unet).") var model: String?
    @Option(help: "Base filter count of the preset.") var baseFilters: Int?
    @Option(parsing: .upToNextOption, help: "Label values that are foreground (default 255; ssTEM: 191 255).") var foreground: [Float] = []
    @Option(help: "Stop after this many minutes.") var minutes: Double?
    @Option(help: "Stop after this many iterations (default 2000 when --minutes is not given).") var iterations: Int?
    @Option(help: "Validation raw images (folder or stack).") var validateImages: String?
    @Option(help: "Validation label images.") var validateLabels: String?
    @Option(help: "Run folder (default runs/<date-time>).") var out: String?
    @Option(help: "Continue the run in this folder from its last.h5.") var resume: String?
    @Option(help: "Loss: ce, focal, dice, dice+ce, distance-aware, bce, malis; or two of them as FIRST,SECOND (e.g. ce,malis) with --switch-at.") var loss: String?
    @Option(help: "With --loss FIRST,SECOND: the iteration at which SECOND takes over.") var switchAt: Int?
    @Option(help: "Optimiser: adam (default), adamw or sgd (momentum 0.99).") var optimizer: String?
    @Option(help: "Learning rate (default 1e-3 for Adam, 1e-2 for SGD).") var lr: Float?
    @Option(help: "Patches per iteration (default 4).") var batch: Int?
    @Option(help: "Input patch side in pixels (default 256; rounded down to a size the network takes).") var patch: Int?
    @Option(help: "Random seed (default 1).") var seed: UInt64?
    @Option(help: "Threads (default: all cores; under mpirun, the cores divided among the processes on this machine).") var threads: Int?
    @Option(help: "Convolution arithmetic: fp32 (default), or bf16 mixed precision (fp32 weights, activations and gradients; bf16 convolution operands with fp32 accumulation: 2-3x faster on CPUs with AMX/AVX-512-BF16).")
    var precision: String?
    @Flag(inversion: .prefixedNo, help: "Fast mode: all three passes of 3×3 convolutions with ≥ 32 channels by Winograd (fp32; values and gradients within ≈1e-5–1e-4 of the direct kernel's; 1.3–2.5× faster training on AVX2).")
    var winograd: Bool?
    @Option(help: "Learning-rate schedule: poly (default, nnU-Net's poly 0.9), cosine, step or constant.") var schedule: String?
    @Option(help: "Linear learning-rate warm-up over this many iterations.") var warmup: Int?
    @Option(help: "Weight decay (L2 for adam/sgd, decoupled for adamw).") var weightDecay: Float?
    @Option(help: "Validate every N iterations (default 200).") var validateEvery: Int?
    @Option(help: "Write last.h5 every N iterations (default 200).") var checkpointEvery: Int?
    @Option(help: "Class weights for the loss: none (default) or balanced (inverse class frequency).") var classWeights: String?
    @Flag(inversion: .prefixedNo, help: "Tschopp's error masking: drop frequent-class pixel errors at random so classes count equally.")
    var errorMasking: Bool?
    @Flag(inversion: .prefixedNo, help: "Tschopp's patch prior: draw patches with rare labels more often.") var patchPrior: Bool?
    @Flag(inversion: .prefixedNo, help: "Elastic deformation augmentation.") var elastic: Bool?
    @Flag(inversion: .prefixedNo, help: "Random Gaussian blur augmentation.") var blur: Bool?
    @Flag(inversion: .prefixedNo, help: "CLAHE contrast equalisation of patches.") var clahe: Bool?
    @Flag(inversion: .prefixedNo, help: "Brightness, contrast and gamma jitter.") var jitter: Bool?

    var flags: TrainingConfiguration {
        var c = TrainingConfiguration()
        c.images = images; c.labels = labels; c.model = model; c.baseFilters = baseFilters
        c.foreground = foreground.isEmpty ? nil : foreground
        c.minutes = minutes; c.iterations = iterations; c.validateImages = validateImages; c.validateLabels = validateLabels
        c.out = out; c.loss = loss; c.optimizer = optimizer; c.lr = lr; c.batch = batch; c.patch = patch; c.seed = seed
        c.threads = threads; c.schedule = schedule; c.warmup = warmup; c.weightDecay = weightDecay
        c.validateEvery = validateEvery; c.checkpointEvery = checkpointEvery; c.classWeights = classWeights
        c.errorMasking = errorMasking; c.patchPrior = patchPrior; c.elastic = elastic; c.blur = blur; c.clahe = clahe; c.jitter = jitter
        c.switchAt = switchAt; c.precision = precision; c.winograd = winograd
        return c
    }

    func run() throws {
        var configuration = try config.map(TrainingConfiguration.load) ?? TrainingConfiguration()
        configuration = configuration.overridden(by: flags)
        if let resume, configuration.out == nil { configuration.out = resume }
        guard MPIProcessGroup.isLaunchedByMPI else {
            try TrainingRun(configuration: configuration, resume: resume).start()
            return
        }
        // One of several processes started by mpirun: data-parallel training.
        let group = try MPIProcessGroup()
        do {
            try TrainingRun(configuration: configuration, resume: resume, processes: group, localProcesses: group.localSize).start()
            group.finish()
        } catch let code as ExitCode {
            group.finish()  // a signal stopped every process at the same iteration
            throw code
        } catch {
            // Process 0 reports; then MPI_Abort ends every process, including any that waits in
            // an exchange for the one that failed. The others give process 0 time to report the
            // error they share with it (every process reads the same data and configuration).
            if group.rank == 0 {
                let text = (error as? PixelwiseError)?.description ?? "\(error)"
                FileHandle.standardError.write(Data("pixelwise: error: \(text)\n".utf8))
            } else {
                sleep(5)
            }
            group.abort(code: 1)
        }
    }
}
