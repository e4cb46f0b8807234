import PixelwiseCore

/// Group (and instance) normalisation of an fp32 channels-last value in the program's arena:
/// `GroupNormKernel`, the kernel the layers run in training too, with no copies in or out.
final class GroupNormStep: StepKernel {
    let groups: Int
    let epsilon: Float
    let parameters: GroupNormParameters

    init(groups: Int, epsilon: Float, parameters: GroupNormParameters) {
        self.groups = groups
        self.epsilon = epsilon
        self.parameters = parameters
    }

    func run(_ context: StepContext) {
        let geometry = GroupNormKernel.Geometry(context.inputShapes[0], layout: .channelsLast, groups: groups)
        _ = GroupNormKernel.forward(context.input(0), into: context.outputFloats, geometry,
                                    gamma: parameters.weight, beta: parameters.bias, epsilon: epsilon)
    }
}

/// γ and β of a group-norm step (γ = 1, β = 0 until set); the layer refreshes them whenever its
/// parameters change.
public final class GroupNormParameters {
    public var weight: [Float]
    public var bias: [Float]

    public init(channels: Int) {
        weight = [Float](repeating: 1, count: channels)
        bias = [Float](repeating: 0, count: channels)
    }
}

extension InferenceProgram {
    /// Group normalisation y = γ_c·(x − μ_ng)/√(σ²_ng + ε) + β_c of `x` in `groups` groups
    /// (groups = channels: instance normalisation). fp32 programs only.
    public func groupNorm(_ x: Value, groups: Int, epsilon: Float, parameters: GroupNormParameters, name: String) -> Value {
        precondition(precision == .float32, "group norm step in a \(precision) program")
        let step = ProgramStep(name: name, inputs: [channelsLast(x).index],
                               kernel: GroupNormStep(groups: groups, epsilon: epsilon, parameters: parameters))
        return append(step, shape: shapes[x.index])
    }

    /// Names of the group-norm steps (for tests: which norms run natively).
    public var groupNormStepNames: [String] { steps.filter { $0.kernel is GroupNormStep }.map(\.name) }
}
