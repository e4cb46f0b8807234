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
