#if canImport(Glibc)
import Glibc
import PixelwiseCore
#endif

/// Focal loss (Lin et al. 2017) over the softmax of the channel axis:
///
/// L = (1/Σ_p w_p) Σ_p w_p · −(1 − p_t)^γ log p_t,   p_t = softmax(x_p)[y_p],  w_p = α[y_p] · pixelWeight_p.
///
/// The focusing factor (1 − p_t)^γ shrinks the error of pixels that are already right, so training
/// spends itself on the hard ones. α is a class weight (Lin's binary α is `alpha: [1 − α, α]`,
/// see `init(alpha:gamma:)`); the normaliser is the same as cross-entropy's, so γ = 0 gives exactly
/// `SoftmaxCrossEntropy(classWeights: α)`.
///
/// Gradient: with F = (1 − p_t)^γ − γ p_t (1 − p_t)^(γ−1) log p_t,
/// dL/dx_pk = w_p F (softmax(x_p)_k − [k = y_p]) / Σ w.
/// Shapes: logits (N, C, [D,] H, W); labels (N, [D,] H, W).
public struct FocalLoss: Loss, Sendable {
    public var gamma: Float
    public var weighting: PixelWeighting

    /// - Parameters: alpha: one weight per class (nil: 1); gamma ≥ 0 (Lin: 2).
    public init(alpha: [Float]? = nil, gamma: Float = 2, ignoreLabel: Int32? = nil) {
        self.gamma = gamma
        weighting = PixelWeighting(classWeights: alpha, ignoreLabel: ignoreLabel)
    }

    /// Lin's binary form for two classes: weight α for the foreground (class 1), 1 − α for the background.
    public init(alpha: Float, gamma: Float = 2, ignoreLabel: Int32? = nil) {
        self.init(alpha: [1 - alpha, alpha], gamma: gamma, ignoreLabel: ignoreLabel)
    }

    public func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        try checkTarget(output, target)
        guard gamma >= 0 else { throw PixelwiseError.invalidArgument("focal loss: γ = \(gamma) must be ≥ 0") }
        let c = output.shape[1]
        let weights = try weighting.weights(for: target, classes: c)
        var gradient = output.inLayout(.channelsLast)
        var total = 0.0, weightSum = 0.0
        let gamma = Double(self.gamma)
        gradient.withUnsafeMutableBufferPointer { g in
            Softmax.softmaxInPlace(g, channels: c)
            for p in 0..<weights.count {
                let row = p * c, w = Double(weights[p])
                guard w != 0 else {
                    for k in 0..<c { g[row + k] = 0 }
                    continue
                }
                let label = Int(target.labels[p])
                let pt = max(Double(g[row + label]), 1e-30), rest = 1 - pt
                let logPt = log(pt)
                let focus = gamma == 0 ? 1 : pow(rest, gamma)
                total -= w * focus * logPt
                weightSum += w
                // γ p (1 − p)^(γ−1) log p = γ p (1 − p)^γ · log(p)/(1 − p); log(p)/(1 − p) → −1 as p → 1.
                let ratio = rest > 1e-6 ? logPt / rest : -1 - rest / 2
                let f = Float(w * (focus - gamma * pt * focus * ratio))
                g[row + label] -= 1
                for k in 0..<c { g[row + k] *= f }
            }
        }
        guard weightSum > 0 else { return (0, Tensor(zeros: output.shape, layout: .channelsLast)) }
        gradient.scale(by: Float(1 / weightSum))
        return (Float(total / weightSum), gradient)
    }
}
