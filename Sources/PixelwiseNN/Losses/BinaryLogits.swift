#if canImport(Glibc)
import Glibc
import PixelwiseCore
#endif

/// The foreground logit of a binary segmentation output, for the binary losses (BCE, Dice,
/// distance-aware cross-entropy).
///
/// - 1 channel: z = x, the foreground probability is q = σ(z) (a sigmoid output).
/// - 2 channels: z = x₁ − x₀; then softmax(x)₁ = σ(x₁ − x₀) = q, so channel 1 is the foreground.
///
/// A binary loss computes dL/dz per pixel; `gradient` maps it back to dL/dx
/// (1 channel: dL/dx = dL/dz; 2 channels: dL/dx₁ = dL/dz, dL/dx₀ = −dL/dz).
enum BinaryLogits {
    /// z per pixel, indexed like the labels.
    static func logits(_ output: Tensor) throws -> [Float] {
        switch output.shape[1] {
        case 1:
            return output.scalars
        case 2:
            let x = output.inLayout(.channelsLast)
            return x.withUnsafeBufferPointer { p in (0..<(p.count / 2)).map { p[2 * $0 + 1] - p[2 * $0] } }
        default:
            throw PixelwiseError.shapeMismatch("binary loss: output \(output.shape) must have 1 (sigmoid) or 2 (softmax) channels")
        }
    }

    /// dL/dx from dL/dz, in the output's shape.
    static func gradient(_ dz: [Float], like output: Tensor) -> Tensor {
        if output.shape[1] == 1 { return Tensor(shape: output.shape, scalars: dz) }
        var values = [Float](repeating: 0, count: 2 * dz.count)
        for p in 0..<dz.count {
            values[2 * p] = -dz[p]
            values[2 * p + 1] = dz[p]
        }
        return Tensor(shape: output.shape, layout: .channelsLast, storageOrder: values)
    }

    /// z per pixel for the two-class consolidation of a C-class softmax output: foreground = the
    /// classes in `foreground`, z = log Σ_{k∈F} e^{x_k} − log Σ_{k∉F} e^{x_k}, so σ(z) = Σ_{k∈F}
    /// softmax(x)_k. With 2 channels and F = {1} this is `logits(_:)`. Also returns the softmax
    /// probabilities (channels last), which `gradient(_:like:foreground:probabilities:)` needs.
    static func consolidatedLogits(_ output: Tensor, foreground: Set<Int>) throws -> (z: [Float], probabilities: [Float]) {
        let c = output.shape[1]
        guard c >= 2, foreground.allSatisfy({ (0..<c).contains($0) }), !foreground.isEmpty, foreground.count < c else {
            throw PixelwiseError.shapeMismatch("consolidated loss: foreground classes \(foreground.sorted()) do not split the \(c) channels of output \(output.shape) in two")
        }
        var probabilities = output.inLayout(.channelsLast).storageScalars
        probabilities.withUnsafeMutableBufferPointer { Softmax.softmaxInPlace($0, channels: c) }
        let isForeground = (0..<c).map(foreground.contains)
        let z = (0..<(probabilities.count / c)).map { p -> Float in
            var inside: Float = 0, outside: Float = 0
            for k in 0..<c {
                if isForeground[k] { inside += probabilities[p * c + k] } else { outside += probabilities[p * c + k] }
            }
            return logf(inside) - logf(outside)
        }
        return (z, probabilities)
    }

    /// dL/dx from dL/dz for `consolidatedLogits`: ∂z/∂x_j = p_j / I⁺ for j ∈ F and −p_j / I⁻
    /// otherwise (I⁺ = Σ_{k∈F} p_k, I⁻ = 1 − I⁺), so dL/dx_j = ΔI⁺ · p_j (1[j ∈ F] − I⁺) when
    /// dL/dz = ΔI⁺ · I⁺ I⁻.
    static func gradient(_ dz: [Float], like output: Tensor, foreground: Set<Int>, probabilities: [Float]) -> Tensor {
        let c = output.shape[1]
        let isForeground = (0..<c).map(foreground.contains)
        var values = [Float](repeating: 0, count: c * dz.count)
        for p in 0..<dz.count where dz[p] != 0 {
            var inside: Float = 0, outside: Float = 0
            for k in 0..<c {
                if isForeground[k] { inside += probabilities[p * c + k] } else { outside += probabilities[p * c + k] }
            }
            for k in 0..<c {
                let q = probabilities[p * c + k]
                let share = isForeground[k] ? (inside > 0 ? q / inside : 0) : (outside > 0 ? -q / outside : 0)
                values[p * c + k] = dz[p] * share
            }
        }
        return Tensor(shape: output.shape, layout: .channelsLast, storageOrder: values)
    }

    /// Binary labels: 1 foreground, 0 background; throws for any other label that is not ignored.
    static func checkBinary(_ target: Target, _ weighting: PixelWeighting) throws {
        for (p, y) in target.labels.enumerated() where !weighting.ignores(y) && y > 1 {
            throw PixelwiseError.invalidArgument("binary loss: label \(y) at pixel \(p); labels must be 0 or 1 (or ignored)")
        }
    }

    /// log σ(z) = −softplus(−z), exact for large |z|.
    @inline(__always) static func logSigmoid(_ z: Float) -> Float {
        z >= 0 ? -log1pf(expf(-z)) : z - log1pf(expf(z))
    }

    @inline(__always) static func sigmoid(_ z: Float) -> Float {
        z >= 0 ? 1 / (1 + expf(-z)) : { let e = expf(z); return e / (1 + e) }()
    }
}
