#if canImport(Glibc)
import Glibc
import PixelwiseCore
#endif

/// Binary cross-entropy on the sigmoid of the foreground logit (PyTorch's BCEWithLogits).
///
/// L = (1/Σ w_p) Σ_p w_p · −[y_p log q_p + (1 − y_p) log(1 − q_p)],  q_p = σ(z_p),
/// dL/dz_p = w_p (q_p − y_p) / Σ w_p.
/// Output: 1 channel (z = x, the network's sigmoid output) or 2 channels (softmax, foreground =
/// channel 1, z = x₁ − x₀; then this equals `SoftmaxCrossEntropy`) — see `BinaryLogits`.
/// Labels 0 (background) or 1 (foreground); weights as in `PixelWeighting` (2 class weights).
public struct BinaryCrossEntropy: Loss, Sendable {
    public var weighting: PixelWeighting

    public init(classWeights: [Float]? = nil, ignoreLabel: Int32? = nil) {
        weighting = PixelWeighting(classWeights: classWeights, ignoreLabel: ignoreLabel)
    }

    public func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        try checkTarget(output, target)
        try BinaryLogits.checkBinary(target, weighting)
        let z = try BinaryLogits.logits(output)
        let w = try weighting.weights(for: target, classes: 2)
        var dz = [Float](repeating: 0, count: z.count)
        var total = 0.0, weightSum = 0.0
        for p in 0..<z.count where w[p] != 0 {
            let y: Float = target.labels[p] == 1 ? 1 : 0
            // −[y log σ(z) + (1 − y) log σ(−z)]
            let l = -(y * BinaryLogits.logSigmoid(z[p]) + (1 - y) * BinaryLogits.logSigmoid(-z[p]))
            total += Double(w[p] * l)
            weightSum += Double(w[p])
            dz[p] = w[p] * (BinaryLogits.sigmoid(z[p]) - y)
        }
        guard weightSum > 0 else { return (0, Tensor(zeros: output.shape)) }
        let scale = Float(1 / weightSum)
        for p in 0..<dz.count { dz[p] *= scale }
        return (Float(total / weightSum), BinaryLogits.gradient(dz, like: output))
    }
}
