#if canImport(Glibc)
import Glibc
import PixelwiseCore
#endif

/// Per-pixel softmax cross-entropy over the channel axis.
///
/// L = (1/Σ_p w_p) Σ_p w_p · −log softmax(x_p)[y_p],  w_p = classWeight[y_p] · pixelWeight_p
/// (`PixelWeighting`; 0 for negative labels and the ignore value).
/// dL/dx_p = w_p · (softmax(x_p) − onehot(y_p)) / Σ w_p; a pixel with w_p = 0 gets exactly 0.
/// Shapes: logits (N, C, [D,] H, W); labels (N, [D,] H, W) as class indices in 0..<C.
/// With all weights 0 (everything ignored) the loss is 0 with a zero gradient.
///
/// Tschopp's error masking (drop pixels of frequent classes at random) wraps this loss:
/// `ErrorMasked(SoftmaxCrossEntropy(), seed:)`.
public struct SoftmaxCrossEntropy: Loss, Sendable {
    public var weighting: PixelWeighting
    public var classWeights: [Float]? {
        get { weighting.classWeights }
        set { weighting.classWeights = newValue }
    }

    public init(classWeights: [Float]? = nil, ignoreLabel: Int32? = nil) {
        weighting = PixelWeighting(classWeights: classWeights, ignoreLabel: ignoreLabel)
    }

    public func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        try checkTarget(output, target)
        let c = output.shape[1]
        let weights = try weighting.weights(for: target, classes: c)
        // Work in channels-last: each pixel's C values are contiguous.
        var gradient = output.inLayout(.channelsLast)
        var total = 0.0, weightSum = 0.0
        gradient.withUnsafeMutableBufferPointer { g in
            Softmax.softmaxInPlace(g, channels: c)
            for p in 0..<weights.count {
                let row = p * c, w = weights[p]
                guard w != 0 else {
                    for k in 0..<c { g[row + k] = 0 }
                    continue
                }
                let label = Int(target.labels[p])
                total -= Double(w) * log(max(Double(g[row + label]), 1e-30))
                weightSum += Double(w)
                g[row + label] -= 1
                for k in 0..<c { g[row + k] *= w }
            }
        }
        guard weightSum > 0 else { return (0, Tensor(zeros: output.shape, layout: .channelsLast)) }
        gradient.scale(by: Float(1 / weightSum))
        return (Float(total / weightSum), gradient)
    }
}
