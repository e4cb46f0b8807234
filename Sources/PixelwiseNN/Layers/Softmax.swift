/// Softmax over the channel axis at every pixel: y_c = e^{x_c} / Σ_k e^{x_k}.
/// dL/dx_c = y_c · (dL/dy_c − Σ_k dL/dy_k · y_k).
/// Shapes: (N, C, [D,] H, W) → same. (For training, the cross-entropy loss takes the logits
/// directly; this layer gives segmentation outputs as probabilities.)
public final class Softmax: ShapePreservingLayer {
    public struct Configuration: Codable, Equatable, Sendable { public init() {} }
    public static let kind = "Softmax"
    public let configuration: Configuration
    public init(_ configuration: Configuration = .init()) { self.configuration = configuration }

    /// Softmax of channels-last memory (`channels` consecutive values per pixel), in place.
    public static func softmaxInPlace(_ p: UnsafeMutableBufferPointer<Float>, channels c: Int) {
        let base = p.baseAddress!
        parallelFor(p.count / c) { pixel in
            let v = base + pixel * c
            var m = -Float.infinity
            for k in 0..<c { m = max(m, v[k]) }
            var s: Float = 0
            for k in 0..<c { v[k] = expf(v[k] - m); s += v[k] }
            let inv = 1 / s
            for k in 0..<c { v[k] *= inv }
        }
    }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        var y = inputs[0].inLayout(.channelsLast)
        let c = y.shape[1]
        y.withUnsafeMutableBufferPointer { Softmax.softmaxInPlace($0, channels: c) }
        return y
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        var dx = gradient.inLayout(.channelsLast)
        let y = output.inLayout(.channelsLast), c = y.shape[1]
        dx.withUnsafeMutableBufferPointer { d in
            y.withUnsafeBufferPointer { yp in
                for pixel in 0..<(d.count / c) {
                    let o = pixel * c
                    var dot: Float = 0
                    for k in 0..<c { dot += d[o + k] * yp[o + k] }
                    for k in 0..<c { d[o + k] = yp[o + k] * (d[o + k] - dot) }
                }
            }
        }
        return [dx]
    }
}

#if canImport(Glibc)
import Glibc
import PixelwiseCore
import PixelwiseKernels
#endif
