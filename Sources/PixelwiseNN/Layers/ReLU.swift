import PixelwiseCore
import PixelwiseKernels

/// y = max(x, 0);  dL/dx = dL/dy where x > 0, else 0.  Any shape; output shape = input shape.
public final class ReLU: ShapePreservingLayer {
    public struct Configuration: Codable, Equatable, Sendable { public init() {} }
    public static let kind = "ReLU"
    public let configuration: Configuration
    public init(_ configuration: Configuration = .init()) { self.configuration = configuration }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        try EltwiseKernel.forward(.relu, inputs[0])
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        [try EltwiseKernel.backward(.relu, gradient, data: inputs[0].inLayout(gradient.layout))]
    }

    public func fusionRole(for inputs: [Shape]) -> FusionRole { .activation(.relu) }
}
