import PixelwiseCore
import PixelwiseKernels

/// y = x where x > 0, else slope·x;  dL/dx = dL/dy where x > 0, else slope·dL/dy.
/// Any shape; output shape = input shape.
public final class LeakyReLU: ShapePreservingLayer {
    public struct Configuration: Codable, Equatable, Sendable {
        public var negativeSlope: Float
        public init(negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope }
    }
    public static let kind = "LeakyReLU"
    public let configuration: Configuration
    public init(_ configuration: Configuration = .init()) { self.configuration = configuration }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        try EltwiseKernel.forward(.leakyReLU(slope: configuration.negativeSlope), inputs[0])
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        [try EltwiseKernel.backward(.leakyReLU(slope: configuration.negativeSlope), gradient, data: inputs[0].inLayout(gradient.layout))]
    }

    public func fusionRole(for inputs: [Shape]) -> FusionRole { .activation(.leakyReLU(slope: configuration.negativeSlope)) }
}
