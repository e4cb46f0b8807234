import PixelwiseCore
import PixelwiseKernels

/// Up-sampling by an integer factor per spatial axis, nearest-neighbour or bilinear
/// (trilinear for volumes).
///
/// Nearest: y[p] = x[⌊p / f⌋]. Bilinear samples x at source coordinate (p + ½)/f − ½, clamped to
/// the image (PyTorch's `align_corners=False`), weighting the two neighbours per axis linearly.
/// Backward scatters dL/dy with the same weights. Shapes: (N, C, H, W) → (N, C, f·H, f·W).
public final class Upsampling: Layer {
    public enum Method: String, Codable, Sendable { case nearest, bilinear }
    public struct Configuration: Codable, Equatable, Sendable {
        public var factor: [Int]
        public var method: Method
        public init(factor: [Int], method: Method) {
            self.factor = factor
            self.method = method
        }
    }

    public static let kind = "Upsampling"
    public let configuration: Configuration

    public init(_ configuration: Configuration) throws {
        guard [2, 3].contains(configuration.factor.count), configuration.factor.allSatisfy({ $0 > 0 }) else {
            throw PixelwiseError.invalidArgument("Upsampling: factor needs 2 or 3 positive entries")
        }
        self.configuration = configuration
    }

    public convenience init(factor: Int = 2, method: Method) throws {
        try self.init(Configuration(factor: [factor, factor], method: method))
    }

    public func outputShape(for inputs: [Shape]) throws -> Shape {
        try expectInputs(inputs, 1)
        let x = inputs[0]
        guard x.rank == configuration.factor.count + 2 else { throw PixelwiseError.shapeMismatch("input \(x) has the wrong rank") }
        return Shape([x[0], x[1]] + zip(x.spatial, configuration.factor).map { $0 * $1 })
    }

    /// For each output coordinate along one axis: two source indices and their weights.
    func taps(input: Int, factor: Int) -> [(Int, Int, Float, Float)] {
        (0..<(input * factor)).map { p in
            if configuration.method == .nearest { return (p / factor, p / factor, 1, 0) }
            let s = max((Float(p) + 0.5) / Float(factor) - 0.5, 0)
            let i0 = min(Int(s), input - 1), i1 = min(i0 + 1, input - 1)
            let t = s - Float(i0)
            return (i0, i1, 1 - t, t)
        }
    }

    /// Calls body(outputPixel, inputPixel, weight) for every contribution, per batch item.
    private func contributions(_ inShape: Shape, _ body: (Int, Int, Int, Float) -> Void) {
        let e = Extent(inShape)
        let f = configuration.factor.count == 3 ? configuration.factor : [1] + configuration.factor
        let tz = taps(input: e.d, factor: f[0]), ty = taps(input: e.h, factor: f[1]), tx = taps(input: e.w, factor: f[2])
        let oh = e.h * f[1], ow = e.w * f[2]
        for n in 0..<e.n {
            for (oz, z) in tz.enumerated() { for (oy, y) in ty.enumerated() { for (ox, x) in tx.enumerated() {
                let out = ((n * tz.count + oz) * oh + oy) * ow + ox
                for (zi, wz) in [(z.0, z.2), (z.1, z.3)] where wz != 0 {
                    for (yi, wy) in [(y.0, y.2), (y.1, y.3)] where wy != 0 {
                        for (xi, wx) in [(x.0, x.2), (x.1, x.3)] where wx != 0 {
                            body(n, out, ((n * e.d + zi) * e.h + yi) * e.w + xi, wz * wy * wx)
                        }
                    }
                }
            } } }
        }
    }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        if configuration.method == .nearest {
            _ = try outputShape(for: [inputs[0].shape])
            return CopyKernels.upsampleNearest(inputs[0], factor: configuration.factor)
        }
        let x = inputs[0].inLayout(.channelsLast)
        let c = x.shape[1]
        var y = Tensor(zeros: try outputShape(for: [x.shape]), layout: .channelsLast)
        let src = x.storage.pointer
        y.withUnsafeMutableBufferPointer { dst in
            contributions(x.shape) { _, out, inp, w in
                for k in 0..<c { dst[out * c + k] += w * src[inp * c + k] }
            }
        }
        return y
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        let g = gradient.inLayout(.channelsLast)
        let c = g.shape[1]
        var dx = Tensor(zeros: inputs[0].shape, layout: .channelsLast)
        let src = g.storage.pointer
        dx.withUnsafeMutableBufferPointer { dst in
            contributions(inputs[0].shape) { _, out, inp, w in
                for k in 0..<c { dst[inp * c + k] += w * src[out * c + k] }
            }
        }
        return [dx]
    }

    public var window: SpatialWindow? {
        SpatialWindow(role: .upsampling, kernel: configuration.factor, stride: configuration.factor,
                      dilation: configuration.factor.map { _ in 1 })
    }

    /// Nearest up-sampling repeats pixels, so inference plans may swap it with a following per-pixel map.
    public func fusionRole(for inputs: [Shape]) -> FusionRole {
        configuration.method == .nearest ? .pixelRepeat(factor: configuration.factor) : .none
    }
}
