#if canImport(Glibc)
import Glibc
#endif

/// Weighted per-pixel softmax cross-entropy:
///
///   L = Σ_p w_p · (−log softmax(x_p)[y_p]) / Σ_p w_p,  w_p = classWeight[y_p] · pixelWeight_p,
///
/// over pixels p with label y_p ≥ 0 (label −1 is ignored: no loss, no gradient).
/// Logits (N, C, [D,] H, W) row-major; labels (N, [D,] H, W) row-major.
public enum CrossEntropyReference {
    public static func loss(_ logits: [Double], shape: [Int], labels: [Int32], classWeights: [Double]?, pixelWeights: [Double]?) -> Double {
        let probabilities = ElementwiseReference.channelSoftmax(logits, shape: shape)
        let v = Volume(shape), pixels = v.d * v.h * v.w
        var total = 0.0, weightSum = 0.0
        for n in 0..<v.n { for p in 0..<pixels {
            let label = Int(labels[n * pixels + p])
            guard label >= 0 else { continue }
            let w = (classWeights?[label] ?? 1) * (pixelWeights?[n * pixels + p] ?? 1)
            total -= w * log(probabilities[(n * v.c + label) * pixels + p])
            weightSum += w
        } }
        return total / weightSum
    }
}
