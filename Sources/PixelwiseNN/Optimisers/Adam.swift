#if canImport(Glibc)
import Glibc
import PixelwiseCore
import PixelwiseKernels
#endif

/// Adam (Kingma & Ba 2015) with bias correction:
/// m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  w ← w − η · m̂ / (√v̂ + ε),
/// m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ). Weight decay is L2 (added to g) or, with
/// `decoupled` (AdamW), applied directly: w ← w − η·λ·w.
public struct Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    public var decoupled: Bool
    public private(set) var step = 0
    private var slots = OptimizerSlots()

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupled: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
    }

    public mutating func update(_ parameters: [(name: String, parameter: Parameter)]) {
        step += 1
        let c1 = 1 - powf(beta1, Float(step)), c2 = 1 - powf(beta2, Float(step))
        for (name, p) in parameters {
            guard let g = Adam.regularised(p, weightDecay: decoupled ? 0 : weightDecay) else { continue }
            // Updated in place (the slots are taken out of the table and the parameter's storage
            // is not shared), in parallel chunks: no copy of the weights or moments per step.
            var m = slots.take(name + ".m", like: p), v = slots.take(name + ".v", like: p)
            if p.value.layout != .rowMajor { p.value = p.value.inLayout(.rowMajor) }
            let (b1, b2, lr, eps, decay) = (beta1, beta2, learningRate, epsilon, decoupled ? weightDecay : 0)
            p.value.withUnsafeMutableBufferPointer { wp in
                m.withUnsafeMutableBufferPointer { mp in
                    v.withUnsafeMutableBufferPointer { vp in
                        g.withUnsafeBufferPointer { gp in
                            let chunk = 1 << 16
                            parallelFor((wp.count + chunk - 1) / chunk) { c in
                                for i in (c * chunk)..<min((c + 1) * chunk, wp.count) {
                                    mp[i] = b1 * mp[i] + (1 - b1) * gp[i]
                                    vp[i] = b2 * vp[i] + (1 - b2) * gp[i] * gp[i]
                                    wp[i] -= lr * decay * wp[i]
                                    wp[i] -= lr * (mp[i] / c1) / ((vp[i] / c2).squareRoot() + eps)
                                }
                            }
                        }
                    }
                }
            }
            slots.tensors[name + ".m"] = m
            slots.tensors[name + ".v"] = v
        }
    }

    public var state: [(name: String, value: Tensor)] { slots.sorted }

    public mutating func restore(state: [(name: String, value: Tensor)], step: Int) throws {
        slots = OptimizerSlots(state)
        self.step = step
    }
}
