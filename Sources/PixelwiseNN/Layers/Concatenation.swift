import PixelwiseCore
import PixelwiseKernels

/// Concatenation of two inputs of equal spatial size on the channel axis.
/// y = concat_C(a, b); backward splits the gradient. Shapes: (N, C_a, H, W), (N, C_b, H, W) → (N, C_a + C_b, H, W).
/// (Same-padding U-Nets use this; valid-padding ones need `MergeCrop`, which shares the kernel.)
public final class Concatenation: Layer {
    public struct Configuration: Codable, Equatable, Sendable { public init() {} }
    public static let kind = "Concatenation"
    public let configuration: Configuration
    private let merge = MergeCrop()
    public init(_ configuration: Configuration = .init()) { self.configuration = configuration }

    public func outputShape(for inputs: [Shape]) throws -> Shape {
        try expectInputs(inputs, 2)
        guard inputs[0].rank == inputs[1].rank, inputs[0].rank >= 3,
              inputs[0][0] == inputs[1][0], inputs[0].spatial == inputs[1].spatial else {
            throw PixelwiseError.shapeMismatch("cannot concatenate \(inputs[0]) and \(inputs[1]): batch and spatial sizes differ")
        }
        return try merge.outputShape(for: inputs)
    }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        _ = try outputShape(for: inputs.map(\.shape))
        return try merge.forward(inputs, mode: mode)
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        try merge.backward(gradient, inputs: inputs, output: output, needsInputGradient: needsInputGradient)
    }

    public func lower(_ inputs: [InferenceProgram.Value], into plan: LoweringContext) throws -> InferenceProgram.Value {
        plan.program.mergeCrop(inputs[0], inputs[1], name: plan.name)
    }
}
