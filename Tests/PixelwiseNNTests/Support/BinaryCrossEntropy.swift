#if canImport(Glibc)
import Glibc
#endif
@testable import PixelwiseNN
import PixelwiseCore

/// Mean binary cross-entropy on probabilities, for the training tests only (the library's own
/// BCE is being written separately):
///
///   L = −(1/N) Σ_i t_i·log p_i + (1 − t_i)·log(1 − p_i),   dL/dp_i = (p_i − t_i) / (N·p_i·(1 − p_i)).
///
/// p is clamped to [1e-6, 1 − 1e-6] so the gradient stays finite.
func binaryCrossEntropy(_ probabilities: Tensor, targets: [Float]) -> (value: Double, gradient: Tensor) {
    let p = probabilities.scalars
    precondition(p.count == targets.count)
    let n = Double(p.count)
    var loss = 0.0
    var g = [Float](repeating: 0, count: p.count)
    for i in 0..<p.count {
        let q = Double(min(max(p[i], 1e-6), 1 - 1e-6)), t = Double(targets[i])
        loss -= (t * log(q) + (1 - t) * log(1 - q)) / n
        g[i] = Float((q - t) / (n * q * (1 - q)))
    }
    return (loss, Tensor(shape: probabilities.shape, scalars: g).inLayout(probabilities.layout))
}
