import PixelwiseCore
import PixelwiseKernels

/// Group normalisation (Wu & He 2018; PyTorch's `nn.GroupNorm(groups, channels)`): the channels
/// split into `groups` groups of C/G consecutive channels, and every sample's group is
/// normalised by its own mean and biased variance over those channels and all positions:
///
///   y = γ_c·(x − μ_ng)/√(σ²_ng + ε) + β_c,   μ_ng, σ²_ng over c ∈ g and all (D,) H, W.
///
/// Gradient (x̂ = (x − μ)/√(σ² + ε), r = 1/√(σ² + ε), means over the group's M = (C/G)·S values):
///   dL/dβ_c = Σ dy,  dL/dγ_c = Σ dy·x̂,  dL/dx = r·(γ_c·dy − mean(γ·dy) − x̂·mean(γ·dy·x̂)).
///
/// The same computation in training and inference: there are no running statistics. G = C is
/// `InstanceNormalization`, G = 1 layer normalisation over (C, [D,] H, W).
/// Shapes: (N, C, [D,] H, W) → same, either layout. Parameters `weight` (γ) and `bias` (β) of
/// shape (C), PyTorch's names (none when `affine` is false).
public final class GroupNormalization: ShapePreservingLayer {
    public struct Configuration: Codable, Equatable, Sendable {
        public var groups: Int
        public var channels: Int
        public var epsilon: Float
        public var affine: Bool
        public init(groups: Int, channels: Int, epsilon: Float = 1e-5, affine: Bool = true) {
            self.groups = groups
            self.channels = channels
            self.epsilon = epsilon
            self.affine = affine
        }
    }

    public static let kind = "GroupNormalization"
    public let configuration: Configuration
    public let weight: Parameter, bias: Parameter
    private var statistics: GroupNormKernel.Statistics?

    public init(_ configuration: Configuration) throws {
        let (g, c) = (configuration.groups, configuration.channels)
        guard c > 0, g > 0, c % g == 0 else {
            throw PixelwiseError.invalidArgument("GroupNormalization: \(g) groups must be positive and divide the \(c) channels")
        }
        guard configuration.epsilon >= 0 else { throw PixelwiseError.invalidArgument("GroupNormalization: epsilon must be ≥ 0") }
        self.configuration = configuration
        weight = Parameter(Tensor(repeating: 1, shape: [c]))
        bias = Parameter(Tensor(zeros: [c]))
    }

    public convenience init(groups: Int, channels: Int) throws { try self.init(Configuration(groups: groups, channels: channels)) }

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
        let (y, stats) = GroupNormKernel.forward(inputs[0], groups: configuration.groups, weight: configuration.affine ? weight.value : nil,
                                                 bias: configuration.affine ? bias.value : nil, epsilon: configuration.epsilon)
        if mode == .training { statistics = stats }
        return y
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        guard let statistics else { throw PixelwiseError.invalidArgument("GroupNormalization backward without a training forward") }
        let g = GroupNormKernel.backward(gradient, input: inputs[0].inLayout(gradient.layout), groups: configuration.groups,
                                         weight: configuration.affine ? weight.value : nil, statistics: statistics,
                                         needsInputGradient: needsInputGradient[0])
        if configuration.affine {
            weight.accumulate(g.weight)
            bias.accumulate(g.bias)
        }
        return [g.input]
    }
}

extension GroupNormalization {
    /// In an fp32 plan: a native step running the same kernel on the plan's channels-last memory
    /// (`InferenceProgram.groupNorm`, no copies); in a bf16 plan, the fallback (the layer's forward
    /// on fp32 copies). Nothing fuses into it (its fusion role is `.none`).
    public func lower(_ inputs: [InferenceProgram.Value], into plan: LoweringContext) throws -> InferenceProgram.Value {
        guard plan.program.precision == .float32 else { return plan.fallback(self, inputs) }
        let affine = GroupNormParameters(channels: configuration.channels)
        if configuration.affine {
            plan.refresh(when: [weight, bias]) { [weight, bias] in
                affine.weight = weight.value.scalars
                affine.bias = bias.value.scalars
            }
        }
        return plan.program.groupNorm(inputs[0], groups: configuration.groups, epsilon: configuration.epsilon, parameters: affine, name: plan.name)
    }
}
