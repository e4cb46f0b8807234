import PixelwiseCore
#if canImport(Glibc)
import Glibc
import PixelwiseCore
#endif

extension DiceLoss {
    /// Dice over C classes of a softmax output q = softmax(x) (per pixel, over the channels):
    ///   D_c = (2 I_c + s) / (U_c + s),  I_c = Σ_p w_p q_cp y_cp,  U_c = Σ_p w_p (q_cp + y_cp),
    /// y_cp = 1 if pixel p is labelled c; the mean M = (1/|K|) Σ_{c∈K} D_c over K = all classes, or
    /// classes 1…C−1 without `includeBackground`. `.complement`: L = 1 − M; `.negativeLog`: L = −log M.
    /// With `perImage`, M and L per image, L averaged over the images.
    /// Gradient: g_cp = dL/dq_cp = dL/dM · (1/|K|) · w_p (2 y_cp (U_c + s) − (2 I_c + s)) / (U_c + s)²
    /// for c ∈ K, then through the softmax dL/dx_kp = q_kp (g_kp − Σ_c g_cp q_cp).
    func evaluateClasses(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        let c = output.shape[1]
        let weighting = PixelWeighting(ignoreLabel: ignoreLabel)
        let w = try weighting.weights(for: target, classes: c)  // ignore → 0, times any pixel weights
        var q = output.inLayout(.channelsLast)
        let pixels = w.count, groups = perImage ? output.shape[0] : 1, size = pixels / groups
        let classes = includeBackground ? Array(0..<c) : Array(1..<c)
        var gradient = [Float](repeating: 0, count: pixels * c)
        var total = 0.0
        q.withUnsafeMutableBufferPointer { q in
            Softmax.softmaxInPlace(q, channels: c)
            for n in 0..<groups {
                let range = n * size..<(n + 1) * size
                var intersection = [Double](repeating: 0, count: c), union = [Double](repeating: 0, count: c)
                for p in range where w[p] != 0 {
                    let y = Int(target.labels[p]), wp = Double(w[p])
                    for k in 0..<c { union[k] += wp * Double(q[p * c + k]) }
                    intersection[y] += wp * Double(q[p * c + y])
                    union[y] += wp
                }
                let s = Double(smooth)
                var mean = 0.0
                var dice = [Double](repeating: 0, count: c), present = [Bool](repeating: false, count: c)
                for k in classes where union[k] + s > 0 {
                    dice[k] = (2 * intersection[k] + s) / (union[k] + s)
                    present[k] = true
                }
                let counted = classes.filter { present[$0] }.count
                guard counted > 0 else { continue }  // nothing labelled and no smoothing: no error
                for k in classes where present[k] { mean += dice[k] }
                mean /= Double(counted)
                total += form == .negativeLog ? -log(max(mean, 1e-30)) : 1 - mean
                let dLdM = (form == .negativeLog ? -1 / max(mean, 1e-30) : -1) / Double(counted) / Double(groups)
                var g = [Double](repeating: 0, count: c)
                for p in range where w[p] != 0 {
                    let y = Int(target.labels[p])
                    var dot = 0.0
                    for k in 0..<c {
                        g[k] = 0
                        guard present[k] else { continue }
                        let num = 2 * intersection[k] + s, den = union[k] + s
                        g[k] = dLdM * Double(w[p]) * (2 * (y == k ? 1 : 0) * den - num) / (den * den)
                        dot += g[k] * Double(q[p * c + k])
                    }
                    for k in 0..<c { gradient[p * c + k] = Float(Double(q[p * c + k]) * (g[k] - dot)) }
                }
            }
        }
        return (Float(total / Double(groups)), Tensor(shape: output.shape, layout: .channelsLast, storageOrder: gradient))
    }
}

extension CombinedLoss {
    /// λ_Dice · C-class Dice + λ_CE · softmax cross-entropy (nnU-Net's default loss), for a
    /// C-channel softmax output.
    public static func diceSoftmaxCrossEntropy(dice: DiceLoss = DiceLoss(form: .complement), diceWeight: Float = 1,
                                               crossEntropy: SoftmaxCrossEntropy = SoftmaxCrossEntropy(),
                                               crossEntropyWeight: Float = 1) -> CombinedLoss {
        CombinedLoss([(diceWeight, dice), (crossEntropyWeight, crossEntropy)])
    }
}
