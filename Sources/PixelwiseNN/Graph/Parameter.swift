import PixelwiseCore

/// A trainable tensor and its accumulated gradient. A class: the optimiser, the graph and the
/// model file all refer to the same parameter by identity, and its name (a dotted path such as
/// `enc1.conv1.weight`) is given by where it sits in the graph.
public final class Parameter {
    /// Any change — assignment or in-place update — bumps `version`, so that derived copies
    /// (an inference plan's reordered, batch-norm-folded weights) know when to refresh.
    public var value: Tensor { didSet { version &+= 1 } }
    public private(set) var version = 0
    /// Sum of the gradients since the last `zeroGradient()`, or nil if none arrived yet.
    public private(set) var gradient: Tensor?

    public init(_ value: Tensor) { self.value = value }

    public var shape: Shape { value.shape }

    /// Adds `g` to the gradient (gradients of several patches or several uses accumulate).
    public func accumulate(_ g: Tensor) {
        precondition(g.shape == value.shape, "gradient \(g.shape) for parameter \(value.shape)")
        if gradient == nil { gradient = g.inLayout(value.layout) } else { gradient!.add(g) }
    }

    public func zeroGradient() { gradient = nil }

    /// Replaces the gradient (used by gradient clipping and data-parallel averaging).
    public func setGradient(_ g: Tensor?) { gradient = g }
}
