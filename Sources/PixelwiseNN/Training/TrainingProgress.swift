/// What the trainer reports after each iteration (optimiser step).
public struct TrainingProgress: Sendable {
    /// Iterations completed, counting from the start of the run (resumed runs continue counting).
    public var iteration: Int
    /// The iteration the run stops at, if known.
    public var totalIterations: Int?
    /// Loss of this iteration (mean over its accumulated batches).
    public var loss: Float
    /// Learning rate the optimiser used for this iteration.
    public var learningRate: Float
    /// Seconds since this `train` call started.
    public var elapsed: Double
    /// Patches (batch items) per second since this `train` call started.
    public var patchesPerSecond: Double

    public init(iteration: Int, totalIterations: Int?, loss: Float, learningRate: Float, elapsed: Double, patchesPerSecond: Double) {
        self.iteration = iteration
        self.totalIterations = totalIterations
        self.loss = loss
        self.learningRate = learningRate
        self.elapsed = elapsed
        self.patchesPerSecond = patchesPerSecond
    }

    /// Estimated seconds left at the current speed, if the total is known.
    public var secondsRemaining: Double? {
        guard let total = totalIterations, iteration > 0, elapsed > 0 else { return nil }
        return elapsed / Double(iteration - startIteration) * Double(total - iteration)
    }

    /// The iteration this `train` call started from (for the ETA of resumed runs).
    public var startIteration = 0
}
