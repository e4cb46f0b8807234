import Foundation
import PixelwiseCore
import PixelwiseKernels

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
///
/// With `processes` (data-parallel training) every process runs this loop on its own share of
/// the batch; the loss and the gradients are averaged over the processes before the checks and
/// the optimiser step, and the decisions to stop (signal, deadline) and the schedule's length are
/// agreed on, so that all processes stop together and their weights stay identical.
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
    /// The other processes of a data-parallel run; nil for one process.
    public var processes: (any ProcessGroup)?

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

    /// A non-finite loss in words. Spelled out: Swift prints a NaN with its sign bit set as "-nan".
    static func describe(_ value: Float) -> String {
        value.isNaN ? "NaN (not a number)" : value > 0 ? "infinite" : "−infinite"
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
            // With several processes the check waits for the averaged loss: one process stopping
            // alone would leave the others waiting for it.
            guard value.isFinite || processes != nil else {
                graph.releaseActivations()
                throw PixelwiseError.training("iteration \(iteration + 1): the loss is \(Trainer.describe(value)); lower the learning rate or check the data")
            }
            if accumulationSteps > 1 { gradient.scale(by: 1 / Float(accumulationSteps)) }
            try graph.backward(gradient)
            sum += value
            patches += input.shape[0]
        }
        graph.releaseActivations()
        var value = sum / Float(accumulationSteps)
        let parameters = graph.parameters
        if let processes {
            value = try processes.sum([value])[0] / Float(processes.size)
            guard value.isFinite else {
                throw PixelwiseError.training("iteration \(iteration + 1): the loss is \(Trainer.describe(value)) in at least one process; lower the learning rate or check the data")
            }
            try processes.averageGradients(parameters.map(\.parameter))
        }
        if let first = firstLoss, first > 0, value > explosionFactor * first {
            throw PixelwiseError.training("iteration \(iteration + 1): the loss exploded to \(value) (first loss \(first)); lower the learning rate")
        }
        if firstLoss == nil { firstLoss = value }
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
            var stop = shouldStop()
            if let deadline, Date().timeIntervalSince1970 >= deadline { stop = true }
            var total: Int? = iterations
            if iterations == Int.max, let deadline {
                let now = Date().timeIntervalSince1970
                let done = iteration - startIteration
                let spent = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                total = done > 0 && spent > 0 ? iteration + Int(Double(done) / spent * max(deadline - now, 0)) + 1 : nil
            }
            if let processes {
                // Any process asked to stop: all stop. Process 0's clock sets the schedule's length.
                let estimated = iterations == Int.max && deadline != nil
                let agreed = try processes.sum([stop ? 1 : 0, processes.rank == 0 && estimated ? Float(total ?? -1) : 0])
                stop = agreed[0] > 0
                if estimated { total = agreed[1] < 0 ? nil : Int(agreed[1]) }
            }
            if stop { return }
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
