import PixelwiseCore

/// Stochastic gradient descent with momentum (PyTorch's formulation):
/// v ← μ·v + g;  w ← w − η·v   (Nesterov: w ← w − η·(g + μ·v)),
/// with g = ∇L + λ·w for L2 weight decay λ, or, with `decoupled` (SGDW, Loshchilov & Hutter),
/// g = ∇L and w ← w − η·λ·w applied before the step. State: `<path>.momentum`.
public struct SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var nesterov: Bool
    public var weightDecay: Float
    public var decoupled: Bool
    public private(set) var step = 0
    private var slots = OptimizerSlots()

    public init(learningRate: Float, momentum: Float = 0.9, nesterov: Bool = false, weightDecay: Float = 0,
                decoupled: Bool = false) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.decoupled = decoupled
    }

    public mutating func update(_ parameters: [(name: String, parameter: Parameter)]) {
        step += 1
        for (name, p) in parameters {
            guard let g = SGD.regularised(p, weightDecay: decoupled ? 0 : weightDecay) else { continue }
            var direction = g
            if momentum != 0 {
                var v = slots.slot(name + ".momentum", like: p)
                v.scale(by: momentum)
                v.add(g)
                slots.tensors[name + ".momentum"] = v
                if nesterov { direction.add(v, scale: momentum) } else { direction = v }
            }
            var w = p.value.inLayout(.rowMajor)
            if decoupled && weightDecay != 0 { w.scale(by: 1 - learningRate * weightDecay) }
            w.add(direction, scale: -learningRate)
            p.value = w
        }
    }

    public var state: [(name: String, value: Tensor)] { slots.sorted }

    public mutating func restore(state: [(name: String, value: Tensor)], step: Int) throws {
        slots = OptimizerSlots(state)
        self.step = step
    }
}
