import PixelwiseCore
import PixelwiseKernels

/// Batch normalisation per channel, on oneDNN.
///
/// Training: y = γ·(x − μ_B)/√(σ²_B + ε) + β with the batch's mean and (biased) variance over
/// N and the spatial axes; the running averages move by `momentum` towards the batch statistics
/// (the running variance uses the unbiased batch variance, as PyTorch does).
/// Inference: the same with the running averages.
/// Shapes: (N, C, [D,] H, W) → same. Parameters `weight` (γ) and `bias` (β) of shape (C);
/// buffers `running_mean`, `running_var` (PyTorch's names, so weights move between the two).
public final class BatchNormalization: ShapePreservingLayer {
    public struct Configuration: Codable, Equatable, Sendable {
        public var channels: Int
        public var epsilon: Float
        public var momentum: Float
        public init(channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
            self.channels = channels
            self.epsilon = epsilon
            self.momentum = momentum
        }
    }

    public static let kind = "BatchNormalization"
    public let configuration: Configuration
    public let scale: Parameter, shift: Parameter
    public let runningMean: Parameter, runningVariance: Parameter
    private var batchMean: Tensor?, batchVariance: Tensor?

    public init(_ configuration: Configuration) throws {
        guard configuration.channels > 0 else { throw PixelwiseError.invalidArgument("BatchNormalization: channels must be positive") }
        self.configuration = configuration
        let c = configuration.channels
        scale = Parameter(Tensor(repeating: 1, shape: [c]))
        shift = Parameter(Tensor(zeros: [c]))
        runningMean = Parameter(Tensor(zeros: [c]))
        runningVariance = Parameter(Tensor(repeating: 1, shape: [c]))
    }

    public convenience init(channels: Int) throws { try self.init(Configuration(channels: channels)) }

    public var parameters: [(name: String, parameter: Parameter)] { [("weight", scale), ("bias", shift)] }
    public var buffers: [(name: String, parameter: Parameter)] { [("running_mean", runningMean), ("running_var", runningVariance)] }

    public func resetParameters(using generator: inout SeededGenerator) {
        let c = configuration.channels
        scale.value = Tensor(repeating: 1, shape: [c])
        shift.value = Tensor(zeros: [c])
        runningMean.value = Tensor(zeros: [c])
        runningVariance.value = Tensor(repeating: 1, shape: [c])
    }

    public func outputShape(for inputs: [Shape]) throws -> Shape {
        try expectInputs(inputs, 1)
        guard inputs[0].rank >= 3, inputs[0][1] == configuration.channels else {
            throw PixelwiseError.shapeMismatch("input \(inputs[0]) does not have \(configuration.channels) channels")
        }
        return inputs[0]
    }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        let x = inputs[0]
        guard mode == .training else {
            return try BatchNormKernel.forward(x, scale: scale.value, shift: shift.value, mean: runningMean.value,
                                               variance: runningVariance.value, epsilon: configuration.epsilon, training: false).output
        }
        let (y, mean, variance) = try BatchNormKernel.forward(x, scale: scale.value, shift: shift.value, mean: nil, variance: nil,
                                                              epsilon: configuration.epsilon, training: true)
        batchMean = mean
        batchVariance = variance
        let m = configuration.momentum
        let perChannel = x.count / configuration.channels
        let unbias = perChannel > 1 ? Float(perChannel) / Float(perChannel - 1) : 1
        runningMean.value.scale(by: 1 - m)
        runningMean.value.add(mean, scale: m)
        runningVariance.value.scale(by: 1 - m)
        runningVariance.value.add(variance, scale: m * unbias)
        return y
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        guard let mean = batchMean, let variance = batchVariance else {
            throw PixelwiseError.invalidArgument("BatchNormalization backward without a training forward")
        }
        let (dx, dScale, dShift) = try BatchNormKernel.backward(gradient, input: inputs[0].inLayout(gradient.layout), scale: scale.value, shift: shift.value,
                                                               mean: mean, variance: variance, epsilon: configuration.epsilon)
        scale.accumulate(dScale)
        shift.accumulate(dShift)
        return [needsInputGradient[0] ? dx : nil]
    }

    /// Inference mode as y = s·(x − μ) + β with s = γ/√(σ² + ε): folded by inference plans into
    /// the weights of the convolution before it.
    var channelAffine: ChannelAffine {
        ChannelAffine(dependencies: [scale, shift, runningMean, runningVariance]) { [self] in
            let variance = runningVariance.value.scalars, gamma = scale.value.scalars
            let s = (0..<configuration.channels).map { gamma[$0] / (variance[$0] + configuration.epsilon).squareRoot() }
            return (s, runningMean.value.scalars, shift.value.scalars)
        }
    }

    public func fusionRole(for inputs: [Shape]) -> FusionRole { .channelAffine(channelAffine) }
}
