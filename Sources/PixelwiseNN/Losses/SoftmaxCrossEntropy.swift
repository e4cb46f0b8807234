#if canImport(Glibc)
import Glibc
#endif

/// Per-pixel softmax cross-entropy over the channel axis.
///
/// L = (1/Σ w_p) Σ_p w_p · −log softmax(x_p)[y_p],  w_p = classWeight[y_p] · pixelWeight_p,
/// pixels with a negative label are ignored (weight 0).
/// dL/dx_p = w_p · (softmax(x_p) − onehot(y_p)) / Σ w_p.
/// Shapes: logits (N, C, [D,] H, W); labels (N, [D,] H, W) as class indices in 0..<C.
public struct SoftmaxCrossEntropy: Loss {
    public var classWeights: [Float]?

    public init(classWeights: [Float]? = nil) { self.classWeights = classWeights }

    /// The loss, its gradient, and the per-pixel softmax (used by metrics).
    public func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        try checkTarget(output, target)
        let c = output.shape[1]
        if let w = classWeights, w.count != c {
            throw PixelwiseError.shapeMismatch("loss: \(w.count) class weights for \(c) classes")
        }
        // Work in channels-last: each pixel's C values are contiguous.
        var gradient = output.inLayout(.channelsLast)
        let pixels = output.count / c
        var total = 0.0, weightSum = 0.0
        try gradient.withUnsafeMutableBufferPointer { g in
            Softmax.softmaxInPlace(g, channels: c)
            for p in 0..<pixels {
                let label = Int(target.labels[p])
                let row = p * c
                guard label >= 0 else {
                    for k in 0..<c { g[row + k] = 0 }
                    continue
                }
                guard label < c else { throw PixelwiseError.invalidArgument("loss: label \(label) at pixel \(p) is not a class (0..<\(c))") }
                let w = Double((classWeights?[label] ?? 1) * (target.weights?[p] ?? 1))
                total -= w * log(max(Double(g[row + label]), 1e-30))
                weightSum += w
                g[row + label] -= 1
                let wf = Float(w)
                for k in 0..<c { g[row + k] *= wf }
            }
        }
        guard weightSum > 0 else { return (0, Tensor(zeros: output.shape, layout: .channelsLast)) }
        gradient.scale(by: Float(1 / weightSum))
        return (Float(total / weightSum), gradient)
    }
}
