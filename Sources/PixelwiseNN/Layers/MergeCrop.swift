import PixelwiseCore
import PixelwiseKernels

/// Centre-crops the larger input to the smaller one's spatial size, then concatenates on the
/// channel axis: Caffe's MergeCrop, which joins a valid-padding U-Net's skip connection (the
/// larger encoder map, input 1) with the decoder's up-sampled map (input 0).
///
/// y = concat_C(a, crop(b)) where crop takes b[…, o + h, o' + w] with o = (H_b − H_a)/2.
/// Shapes: (N, C_a, H, W), (N, C_b, H_b ≥ H, W_b ≥ W) → (N, C_a + C_b, H, W). With equal sizes this
/// is plain concatenation (`Concatenation`). Backward splits the gradient and zero-pads the
/// cropped part back to b's size.
public final class MergeCrop: Layer {
    public struct Configuration: Codable, Equatable, Sendable { public init() {} }
    public static let kind = "MergeCrop"
    public let configuration: Configuration
    public init(_ configuration: Configuration = .init()) { self.configuration = configuration }

    public func outputShape(for inputs: [Shape]) throws -> Shape {
        try expectInputs(inputs, 2)
        let (a, b) = (inputs[0], inputs[1])
        guard a.rank == b.rank, a.rank >= 4, a[0] == b[0] else { throw PixelwiseError.shapeMismatch("cannot merge \(a) with \(b)") }
        for axis in 2..<a.rank where b[axis] < a[axis] || (b[axis] - a[axis]) % 2 != 0 {
            throw PixelwiseError.shapeMismatch("cannot centre-crop \(b) to \(a): size differences must be even and ≥ 0")
        }
        var out = a
        out[1] = a[1] + b[1]
        return out
    }

    /// Spatial offsets of the crop window in b, as (D, H, W).
    static func offsets(_ a: Shape, _ b: Shape) -> (Int, Int, Int) {
        let ea = Extent(a), eb = Extent(b)
        return ((eb.d - ea.d) / 2, (eb.h - ea.h) / 2, (eb.w - ea.w) / 2)
    }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        _ = try outputShape(for: inputs.map(\.shape))
        return CopyKernels.mergeCrop(inputs[0], inputs[1])
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        let g = gradient.inLayout(.channelsLast)
        let ea = Extent(inputs[0].shape), eb = Extent(inputs[1].shape), (oz, oy, ox) = MergeCrop.offsets(inputs[0].shape, inputs[1].shape)
        let co = ea.c + eb.c
        var da = needsInputGradient[0] ? Tensor(uninitialized: inputs[0].shape, layout: .channelsLast) : nil
        var db = needsInputGradient[1] ? Tensor(zeros: inputs[1].shape, layout: .channelsLast) : nil
        let pg = g.storage.pointer
        let pa = da?.withUnsafeMutableBufferPointer { $0.baseAddress! }
        let pb = db?.withUnsafeMutableBufferPointer { $0.baseAddress! }
        parallelFor(ea.n * ea.d * ea.h) { row in
            let n = row / (ea.d * ea.h), z = (row / ea.h) % ea.d, yy = row % ea.h
            for x in 0..<ea.w {
                let s = pg + (((n * ea.d + z) * ea.h + yy) * ea.w + x) * co
                if let pa { (pa + (((n * ea.d + z) * ea.h + yy) * ea.w + x) * ea.c).update(from: s, count: ea.c) }
                if let pb { (pb + (((n * eb.d + z + oz) * eb.h + yy + oy) * eb.w + x + ox) * eb.c).update(from: s + ea.c, count: eb.c) }
            }
        }
        return [da, db]
    }

    public func lower(_ inputs: [InferenceProgram.Value], into plan: LoweringContext) throws -> InferenceProgram.Value {
        plan.program.mergeCrop(inputs[0], inputs[1], name: plan.name)
    }
}
