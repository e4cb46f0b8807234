import PixelwiseCore
import PixelwiseKernels

/// Instance normalisation (Ulyanov et al. 2016; PyTorch's `nn.InstanceNorm2d/3d(channels,
/// affine=True)`, nnU-Net's default): every (sample, channel) map is normalised by its own mean
/// and biased variance over the positions:
///
///   y = γ_c·(x − μ_nc)/√(σ²_nc + ε) + β_c,   μ_nc, σ²_nc over all (D,) H, W of sample n, channel c.
///
/// Gradient (x̂ = (x − μ)/√(σ² + ε), r = 1/√(σ² + ε), means over the map's S positions):
///   dL/dβ_c = Σ dy,  dL/dγ_c = Σ dy·x̂,  dL/dx = r·γ_c·(dy − mean(dy) − x̂·mean(dy·x̂)).
///
/// The same computation in training and inference: no running statistics (PyTorch's
/// `track_running_stats=True` is not supported). It is `GroupNormalization` with one channel
/// per group, on the same kernel. Unlike PyTorch, `affine` defaults to true.
/// Shapes: (N, C, [D,] H, W) → same, either layout. Parameters `weight` (γ) and `bias` (β) of
/// shape (C) (none when `affine` is false).
public final class InstanceNormalization: ShapePreservingLayer {
    public struct Configuration: Codable, Equatable, Sendable {
        public var channels: Int
        public var epsilon: Float
        public var affine: Bool
        public init(channels: Int, epsilon: Float = 1e-5, affine: Bool = true) {
            self.channels = channels
            self.epsilon = epsilon
            self.affine = affine
        }
    }

    public static let kind = "InstanceNormalization"
    public let configuration: Configuration
    public let weight: Parameter, bias: Parameter
    private var statistics: GroupNormKernel.Statistics?

    public init(_ configuration: Configuration) throws {
        guard configuration.channels > 0 else { throw PixelwiseError.invalidArgument("InstanceNormalization: channels must be positive") }
        guard configuration.epsilon >= 0 else { throw PixelwiseError.invalidArgument("InstanceNormalization: epsilon must be ≥ 0") }
        self.configuration = configuration
        weight = Parameter(Tensor(repeating: 1, shape: [configuration.channels]))
        bias = Parameter(Tensor(zeros: [configuration.channels]))
    }

    public convenience init(channels: Int) throws { try self.init(Configuration(channels: channels)) }

    public var parameters: [(name: String, parameter: Parameter)] { configuration.affine ? [("weight", weight), ("bias", bias)] : [] }

    /// γ = 1, β = 0, as PyTorch.
    public func resetParameters(using generator: inout SeededGenerator) {
        weight.value = Tensor(repeating: 1, shape: [configuration.channels])
        bias.value = Tensor(zeros: [configuration.channels])
    }

    public func outputShape(for inputs: [Shape]) throws -> Shape {
        try expectInputs(inputs, 1)
        guard inputs[0].rank >= 3, inputs[0][1] == configuration.channels else {
            throw PixelwiseError.shapeMismatch("input \(inputs[0]) does not have \(configuration.channels) channels")
        }
        return inputs[0]
    }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        _ = try outputShape(for: [inputs[0].shape])
        let (y, stats) = GroupNormKernel.forward(inputs[0], groups: configuration.channels, weight: configuration.affine ? weight.value : nil,
                                                 bias: configuration.affine ? bias.value : nil, epsilon: configuration.epsilon)
        if mode == .training { statistics = stats }
        return y
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        guard let statistics else { throw PixelwiseError.invalidArgument("InstanceNormalization backward without a training forward") }
        let g = GroupNormKernel.backward(gradient, input: inputs[0].inLayout(gradient.layout), groups: configuration.channels,
                                         weight: configuration.affine ? weight.value : nil, statistics: statistics,
                                         needsInputGradient: needsInputGradient[0])
        if configuration.affine {
            weight.accumulate(g.weight)
            bias.accumulate(g.bias)
        }
        return [g.input]
    }
}

extension InstanceNormalization {
    /// In an fp32 plan: a native step running the same kernel on the plan's channels-last memory
    /// (`InferenceProgram.groupNorm`, no copies); in a bf16 plan, the fallback (the layer's forward
    /// on fp32 copies). Nothing fuses into it: unlike batch norm at inference, its statistics
    /// depend on the input, so it cannot fold into the convolution before it.
    public func lower(_ inputs: [InferenceProgram.Value], into plan: LoweringContext) throws -> InferenceProgram.Value {
        guard plan.program.precision == .float32 else { return plan.fallback(self, inputs) }
        let affine = GroupNormParameters(channels: configuration.channels)
        if configuration.affine {
            plan.refresh(when: [weight, bias]) { [weight, bias] in
                affine.weight = weight.value.scalars
                affine.bias = bias.value.scalars
            }
        }
        return plan.program.groupNorm(inputs[0], groups: configuration.channels, epsilon: configuration.epsilon, parameters: affine, name: plan.name)
    }
}
