import PixelwiseCore

/// A loss that changes during training: phase k's loss from its start iteration on, e.g.
/// Tschopp's Softmax → Malis schedule (cross-entropy until the network separates foreground from
/// membrane, then Malis to fix the topology): `ScheduledLoss(SoftmaxCrossEntropy(), then: MalisLoss(), switchAt: 2000)`.
///
/// The phase is chosen by the iteration `Trainer` reports through `prepare(iteration:)` (0-based;
/// iteration i uses the last phase whose start ≤ i), so a resumed run continues in the right
/// phase. Without any `prepare` call the first phase is used. Each phase keeps its own state
/// (e.g. an error mask's generator), and hears `prepare` too.
public struct ScheduledLoss: Loss {
    /// (start iteration, loss), starts strictly increasing, the first 0.
    public private(set) var phases: [(start: Int, loss: any Loss)]
    /// Index into `phases` of the loss in use.
    public private(set) var current = 0

    public init(phases: [(start: Int, loss: any Loss)]) throws {
        guard phases.first?.start == 0 else {
            throw PixelwiseError.invalidArgument("scheduled loss: the first phase must start at iteration 0")
        }
        for k in phases.indices.dropFirst() where phases[k].start <= phases[k - 1].start {
            throw PixelwiseError.invalidArgument("scheduled loss: phase starts must increase, got \(phases.map(\.start))")
        }
        self.phases = phases
    }

    /// `first` for iterations 0..<switchAt, `second` from then on (switchAt ≥ 1).
    public init(_ first: any Loss, then second: any Loss, switchAt: Int) throws {
        guard switchAt >= 1 else { throw PixelwiseError.invalidArgument("scheduled loss: switch iteration \(switchAt) must be ≥ 1") }
        try self.init(phases: [(0, first), (switchAt, second)])
    }

    public mutating func prepare(iteration: Int) {
        current = phases.lastIndex { $0.start <= iteration } ?? 0
        phases[current].loss.prepare(iteration: iteration)
    }

    public mutating func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        try phases[current].loss.evaluate(output, target)
    }
}
