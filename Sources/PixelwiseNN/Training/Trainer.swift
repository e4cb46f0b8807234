import Foundation

/// The training loop: model + loss + optimiser + learning-rate schedule over a batch source.
///
/// Before its batches, each iteration tells the loss its index (`Loss.prepare(iteration:)`).
/// One iteration = `accumulationSteps` batches, each forward (training mode), loss, backward with
/// the loss gradient scaled by 1/`accumulationSteps` (so the accumulated gradient is the mean over
/// the batches, the gradient of one batch as large as all of them together when the batches have
/// the same number of labelled pixels); then optional clipping by global norm, the schedule's learning
/// rate, and one optimiser step. Progress, validation and checkpoints hang on `onStep`, which sees
/// every iteration (`progress.iteration.isMultiple(of: k)` for "every k").
///
/// A non-finite loss, or one above `explosionFactor` × the first loss of the run, throws
/// `PixelwiseError.training` naming the iteration: continuing would only destroy the weights.
public final class Trainer {
    public let graph: Graph
    public var loss: any Loss
    /// The optimiser; its `state` and `step` are what a checkpoint stores.
    public var optimizer: any Optimizer
    public var schedule: LearningRateSchedule
    public var baseLearningRate: Float
    public var warmupIterations: Int
    public var accumulationSteps: Int
    public var gradientClipNorm: Float?
    /// Iterations completed; set it when resuming from a checkpoint.
    public var iteration = 0
    /// A loss above this multiple of the first loss counts as exploding.
    public var explosionFactor: Float = 1e4
    /// The first loss seen (the reference for explosion); part of a resumable state.
    public var firstLoss: Float?

    public init(graph: Graph, loss: any Loss, optimizer: any Optimizer, schedule: LearningRateSchedule, baseLearningRate: Float,
                warmupIterations: Int = 0, accumulationSteps: Int = 1, gradientClipNorm: Float? = nil) {
        self.graph = graph
        self.loss = loss
        self.optimizer = optimizer
        self.schedule = schedule
        self.baseLearningRate = baseLearningRate
        self.warmupIterations = warmupIterations
        self.accumulationSteps = accumulationSteps
        self.gradientClipNorm = gradientClipNorm
    }

    /// The learning rate of (0-based) iteration `i` of a run of `total`.
    public func learningRate(at i: Int, of total: Int?) -> Float {
        schedule.rate(at: i, of: total, base: baseLearningRate, warmup: warmupIterations)
    }

    /// Runs one iteration: returns its loss (mean over the accumulated batches) and patch count.
    @discardableResult
    public func step(source: inout some BatchSource, total: Int?) throws -> (loss: Float, patches: Int, learningRate: Float) {
        guard accumulationSteps >= 1 else {
            throw PixelwiseError.invalidArgument("trainer: accumulationSteps = \(accumulationSteps) must be ≥ 1")
        }
        graph.zeroGradients()
        loss.prepare(iteration: iteration)
        var sum: Float = 0, patches = 0
        for _ in 0..<accumulationSteps {
            let (input, target) = try source.nextBatch()
            let output = try graph.forward(input, mode: .training)
            var (value, gradient) = try loss.evaluate(output, target)
            guard value.isFinite else {
                graph.releaseActivations()
                // Spelled out: Swift prints a NaN with its sign bit set as "-nan".
                let what = value.isNaN ? "NaN (not a number)" : value > 0 ? "infinite" : "−infinite"
                throw PixelwiseError.training("iteration \(iteration + 1): the loss is \(what); lower the learning rate or check the data")
            }
            if accumulationSteps > 1 { gradient.scale(by: 1 / Float(accumulationSteps)) }
            try graph.backward(gradient)
            sum += value
            patches += input.shape[0]
        }
        graph.releaseActivations()
        let value = sum / Float(accumulationSteps)
        if let first = firstLoss, first > 0, value > explosionFactor * first {
            throw PixelwiseError.training("iteration \(iteration + 1): the loss exploded to \(value) (first loss \(first)); lower the learning rate")
        }
        if firstLoss == nil { firstLoss = value }
        let parameters = graph.parameters
        if let maxNorm = gradientClipNorm {
            let norm = clipGradientNorm(parameters, maxNorm: maxNorm)
            guard norm.isFinite else {
                throw PixelwiseError.training("iteration \(iteration + 1): the gradient norm is \(norm)")
            }
        }
        let rate = learningRate(at: iteration, of: total)
        optimizer.learningRate = rate
        optimizer.update(parameters)
        iteration += 1
        return (value, patches, rate)
    }

    /// Runs until `iterations` iterations are complete in total (counting any done before, so a resumed
    /// run continues where it stopped), or until the wall clock passes `deadline` (seconds since 1970,
    /// as `Date().timeIntervalSince1970`), or `shouldStop()` returns true (checked before each
    /// iteration, e.g. set by a SIGINT handler). `onStep` runs after every iteration; whatever it
    /// throws stops training and is passed on.
    ///
    /// With a deadline and no iteration limit (`iterations == Int.max`), the learning-rate schedule
    /// runs over the number of iterations expected to fit before the deadline, estimated from the
    /// speed so far, so that a poly or cosine schedule still decays to its end on time.
    public func train(source: inout some BatchSource, iterations: Int, deadline: Double? = nil, shouldStop: () -> Bool = { false },
                      onStep: (TrainingProgress) throws -> Void) throws {
        let start = DispatchTime.now().uptimeNanoseconds, startIteration = iteration
        var patches = 0
        while iteration < iterations {
            if shouldStop() { return }
            if let deadline, Date().timeIntervalSince1970 >= deadline { return }
            var total: Int? = iterations
            if iterations == Int.max, let deadline {
                let now = Date().timeIntervalSince1970
                let done = iteration - startIteration
                let spent = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                total = done > 0 && spent > 0 ? iteration + Int(Double(done) / spent * max(deadline - now, 0)) + 1 : nil
            }
            let result = try step(source: &source, total: total)
            patches += result.patches
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            var progress = TrainingProgress(iteration: iteration, totalIterations: iterations, loss: result.loss,
                                            learningRate: result.learningRate, elapsed: elapsed,
                                            patchesPerSecond: elapsed > 0 ? Double(patches) / elapsed : 0)
            progress.startIteration = startIteration
            try onStep(progress)
        }
    }
}
