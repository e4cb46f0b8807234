import PixelwiseCore

/// Updates parameters from their accumulated gradients. State (momenta) is kept per parameter
/// under its dotted path, so it can be saved in and restored from a model file.
public protocol Optimizer {
    /// Learning rate of the next step (schedules set it before each step).
    var learningRate: Float { get set }
    /// Steps taken so far.
    var step: Int { get }
    /// Applies one update to every parameter that has a gradient.
    mutating func update(_ parameters: [(name: String, parameter: Parameter)])
    /// Per-parameter state, named "<parameter path>.<slot>" (e.g. `enc1.conv1.weight.m`).
    var state: [(name: String, value: Tensor)] { get }
    mutating func restore(state: [(name: String, value: Tensor)], step: Int) throws
}

extension Optimizer {
    /// The gradient plus L2 weight decay (coupled: added to the gradient before the update rule).
    static func regularised(_ p: Parameter, weightDecay: Float) -> Tensor? {
        guard var g = p.gradient else { return nil }
        if weightDecay != 0 { g.add(p.value, scale: weightDecay) }
        return g.inLayout(.rowMajor)
    }
}

/// A table of named optimiser slots.
struct OptimizerSlots {
    var tensors: [String: Tensor] = [:]

    mutating func slot(_ name: String, like p: Parameter) -> Tensor {
        if let t = tensors[name] { return t }
        return Tensor(zeros: p.shape)
    }

    /// Removes and returns the slot (zeros if new), so the caller holds the only reference and
    /// can update it in place; put it back with `tensors[name] = …`.
    mutating func take(_ name: String, like p: Parameter) -> Tensor {
        tensors.removeValue(forKey: name) ?? Tensor(zeros: p.shape)
    }

    var sorted: [(name: String, value: Tensor)] { tensors.keys.sorted().map { ($0, tensors[$0]!) } }

    init(_ state: [(name: String, value: Tensor)] = []) {
        for (n, v) in state { tensors[n] = v }
    }
}
