import PixelwiseCore
import PixelwiseKernels

/// y = 1 / (1 + e^−x);  dL/dx = dL/dy · y · (1 − y).  Any shape; output shape = input shape.
public final class Sigmoid: ShapePreservingLayer {
    public struct Configuration: Codable, Equatable, Sendable { public init() {} }
    public static let kind = "Sigmoid"
    public let configuration: Configuration
    public init(_ configuration: Configuration = .init()) { self.configuration = configuration }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        try EltwiseKernel.forward(.sigmoid, inputs[0])
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        [try EltwiseKernel.backward(.sigmoid, gradient, data: output)]
    }

    public func fusionRole(for inputs: [Shape]) -> FusionRole { .activation(.sigmoid) }
}
