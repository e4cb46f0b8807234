import PixelwiseCore
import PixelwiseKernels

/// What `GroupNormalization` and `InstanceNormalization` share: both normalise groups of channels
/// with `GroupNormKernel` (instance norm is one channel per group), have PyTorch's per-channel
/// `weight` (γ) and `bias` (β), and lower into a plan the same way. A layer gives its group count,
/// configuration values and parameters; parameters, shapes, forward, backward and lowering are here.
public protocol GroupNormalizing: ShapePreservingLayer {
    var groupCount: Int { get }
    var channels: Int { get }
    var epsilon: Float { get }
    var affine: Bool { get }
    var weight: Parameter { get }
    var bias: Parameter { get }
    /// What the training forward keeps for the backward pass.
    var saved: GroupNormStatistics { get }
}

/// The per-group statistics of the last training forward (a box, so the layer stays immutable).
public final class GroupNormStatistics {
    var value: GroupNormKernel.Statistics?
    init() {}
}

extension GroupNormalizing {
    public var parameters: [(name: String, parameter: Parameter)] { affine ? [("weight", weight), ("bias", bias)] : [] }

    /// γ = 1, β = 0, as PyTorch.
    public func resetParameters(using generator: inout SeededGenerator) {
        weight.value = Tensor(repeating: 1, shape: [channels])
        bias.value = Tensor(zeros: [channels])
    }

    public func outputShape(for inputs: [Shape]) throws -> Shape {
        try expectInputs(inputs, 1)
        guard inputs[0].rank >= 3, inputs[0][1] == channels else {
            throw PixelwiseError.shapeMismatch("input \(inputs[0]) does not have \(channels) channels")
        }
        return inputs[0]
    }

    public func forward(_ inputs: [Tensor], mode: Mode) throws -> Tensor {
        _ = try outputShape(for: [inputs[0].shape])
        let (y, stats) = GroupNormKernel.forward(inputs[0], groups: groupCount, weight: affine ? weight.value : nil,
                                                 bias: affine ? bias.value : nil, epsilon: epsilon)
        if mode == .training { saved.value = stats }
        return y
    }

    public func backward(_ gradient: Tensor, inputs: [Tensor], output: Tensor, needsInputGradient: [Bool]) throws -> [Tensor?] {
        guard let statistics = saved.value else { throw PixelwiseError.invalidArgument("\(Self.kind) backward without a training forward") }
        let g = GroupNormKernel.backward(gradient, input: inputs[0].inLayout(gradient.layout), groups: groupCount,
                                         weight: affine ? weight.value : nil, statistics: statistics,
                                         needsInputGradient: needsInputGradient[0])
        if affine {
            weight.accumulate(g.weight)
            bias.accumulate(g.bias)
        }
        return [g.input]
    }

    /// In an fp32 plan: a native step running the same kernel on the plan's channels-last memory
    /// (`InferenceProgram.groupNorm`, no copies); in a bf16 plan, the fallback (the layer's forward
    /// on fp32 copies). Nothing fuses into it: unlike batch norm at inference, its statistics
    /// depend on the input, so it cannot fold into the convolution before it.
    public func lower(_ inputs: [InferenceProgram.Value], into plan: LoweringContext) throws -> InferenceProgram.Value {
        guard plan.program.precision == .float32 else { return plan.fallback(self, inputs) }
        let parameters = GroupNormParameters(channels: channels)
        if affine {
            plan.refresh(when: [weight, bias]) { [weight, bias] in
                parameters.weight = weight.value.scalars
                parameters.bias = bias.value.scalars
            }
        }
        return plan.program.groupNorm(inputs[0], groups: groupCount, epsilon: epsilon, parameters: parameters, name: plan.name)
    }
}
