import PixelwiseCore
import Testing
@testable import PixelwiseKernels

/// The one algorithm chooser's decisions, for training, layer-by-layer inference and plans.
@Suite struct AlgorithmChooserTests {
    static let same3x3 = ConvolutionGeometry(stride: [1, 1], dilation: [1, 1], paddingLow: [1, 1], paddingHigh: [1, 1])
    static let up2x2 = ConvolutionGeometry(stride: [2, 2], dilation: [1, 1], paddingLow: [0, 0], paddingHigh: [0, 0])

    static func conv(_ stage: ConvolutionProblem.Stage, channels: Int, input: Shape? = nil, pass: ConvolutionProblem.Pass = .forward,
                     activation: EltwiseKernel.Function? = nil) -> ConvolutionProblem {
        ConvolutionProblem(stage: stage, pass: pass, input: input ?? [1, channels, 64, 64], weight: [channels, channels, 3, 3],
                           geometry: same3x3, transposed: false, activation: activation)
    }

    /// The fixed rules of earlier versions (no timing).
    static let rules = ExecutionOptions(algorithms: .rules)

    static func choose(_ p: ConvolutionProblem, _ options: ExecutionOptions) -> AlgorithmChooser.Algorithm {
        AlgorithmChooser.choose(for: p, options: options)
    }

    @Test func winogradOnlyWhenAskedForWideEnoughAndInFloat32() {
        let on = ExecutionOptions(winograd: true)
        #expect(Self.choose(Self.conv(.plan, channels: 64), Self.rules) == .direct, "the fixed rules never pick it")
        #expect(Self.choose(Self.conv(.plan, channels: 64), on) == .winograd)
        #expect(Self.choose(Self.conv(.plan, channels: 32), on) == .winograd, "the threshold is inclusive")
        #expect(Self.choose(Self.conv(.plan, channels: 16), on) == .direct, "narrow layers stay direct")
        #expect(Self.choose(Self.conv(.plan, channels: 16), ExecutionOptions(winograd: true, winogradMinimumChannels: 16)) == .winograd)
        #expect(Self.choose(Self.conv(.plan, channels: 64), on.with(precision: .bfloat16)) == .direct, "fp32 only")
        #expect(Self.choose(Self.conv(.plan, channels: 64, activation: .relu), on) == .winograd, "ReLU fuses into the output transform")
        #expect(Self.choose(Self.conv(.plan, channels: 64, activation: .sigmoid), on) == .direct, "sigmoid does not")
        #expect(Self.choose(Self.conv(.layerInference, channels: 64), on) == .direct, "a layer's own inference forward stays direct")
        let strided = ConvolutionProblem(stage: .plan, input: [1, 64, 64, 64], weight: [64, 64, 3, 3],
                                         geometry: ConvolutionGeometry(stride: [2, 2], dilation: [1, 1], paddingLow: [1, 1], paddingHigh: [1, 1]),
                                         transposed: false)
        #expect(Self.choose(strided, on) == .direct, "3×3 stride 1 only")
    }

    @Test func trainingNeedsEnoughTiles() {
        let on = ExecutionOptions(winograd: true)
        // 4 · 4 · 4 = 64 tiles of 4×4 at batch 4, 16×16; 4 · 8 · 8 = 256 at 32×32.
        #expect(Self.choose(Self.conv(.training, channels: 64, input: [4, 64, 16, 16]), on) == .direct)
        #expect(Self.choose(Self.conv(.training, channels: 64, input: [4, 64, 32, 32]), on) == .winograd)
        #expect(Self.choose(Self.conv(.plan, channels: 64, input: [1, 64, 8, 8]), on) == .winograd, "plans transform their weights once")
        for pass in [ConvolutionProblem.Pass.backwardData, .backwardWeights] {
            #expect(Self.choose(Self.conv(.training, channels: 64, input: [4, 64, 32, 32], pass: pass), on) == .winograd)
        }
    }

    @Test func blockScatterForKernelEqualsStrideInFloat32() {
        let up = ConvolutionProblem(stage: .training, input: [1, 8, 16, 16], weight: [8, 4, 2, 2], geometry: Self.up2x2, transposed: true)
        #expect(Self.choose(up, Self.rules) == .blockScatter)
        #expect(Self.choose(up, Self.rules.with(precision: .bfloat16)) == .direct, "bf16 keeps oneDNN's kernels")
        var plan = up
        plan.stage = .plan
        plan.activation = .relu
        #expect(Self.choose(plan, Self.rules) == .blockScatter)
        plan.activation = .leakyReLU(slope: 0.1)
        #expect(Self.choose(plan, Self.rules) == .direct, "the scatter fuses ReLU only")
        var overlapping = up
        overlapping.weight = [8, 4, 3, 3]
        #expect(Self.choose(overlapping, ExecutionOptions()) == .direct)
    }

    @Test func shiftedWeightGradientForStrideOneWeightGradients() {
        let p = Self.conv(.training, channels: 8, input: [2, 8, 48, 48], pass: .backwardWeights)  // a grid ≤ 10 % larger than the output
        #expect(Self.choose(p, Self.rules) == .shiftedWeightGradient)
        #expect(Self.choose(p, Self.rules.with(precision: .bfloat16)) == .direct)
        var forward = p
        forward.pass = .forward
        #expect(Self.choose(forward, Self.rules) == .direct)
    }

    @Test func candidatesListEverythingThatComputesTheProblem() {
        let p = Self.conv(.training, channels: 16, input: [1, 16, 48, 48], pass: .backwardWeights)
        // Too narrow for the rule, but Winograd computes it: a measuring chooser may still pick it.
        #expect(AlgorithmChooser.candidates(for: p, options: ExecutionOptions(winograd: true)) == [.direct, .winograd, .shiftedWeightGradient])
        #expect(AlgorithmChooser.choose(for: p, options: ExecutionOptions(winograd: true)) == .shiftedWeightGradient)
    }

    @Test func exactIsDirectEverywhere() {
        let exact = ExecutionOptions(algorithms: .exact)
        let up = ConvolutionProblem(stage: .training, input: [1, 8, 16, 16], weight: [8, 4, 2, 2], geometry: Self.up2x2, transposed: true)
        let problems = [Self.conv(.plan, channels: 64), Self.conv(.training, channels: 64, input: [4, 64, 32, 32], pass: .backwardWeights), up]
        for p in problems {
            #expect(AlgorithmChooser.choose(for: p, options: exact, catalog: AlgorithmCatalog(file: nil, timer: { _, _ in Issue.record("timed"); return 0 })) == .direct)
        }
    }

    @Test func recordedTablesAreFollowedAndMissingProblemsRunDirect() {
        let a = Self.conv(.training, channels: 64, input: [4, 64, 32, 32])
        var b = a
        b.pass = .backwardWeights
        b.input = [4, 64, 48, 48]  // the shifted gradient's grid overhead is small enough from here
        let table = AlgorithmTable(choices: [a.description: .winograd, b.description: .shiftedWeightGradient])
        let options = ExecutionOptions(algorithms: .recorded(table))
        #expect(Self.choose(a, options) == .winograd)
        #expect(Self.choose(b, options) == .shiftedWeightGradient)
        var c = a
        c.pass = .backwardData
        #expect(Self.choose(c, options) == .direct)
        // A recorded algorithm that cannot compute the problem (in bf16) is not run.
        #expect(Self.choose(a, options.with(precision: .bfloat16)) == .direct)
    }

    @Test func onlyForcesOneAlgorithmWhereItApplies() {
        #expect(Self.choose(Self.conv(.plan, channels: 4), ExecutionOptions(algorithms: .only(.winograd))) == .winograd)
        #expect(Self.choose(Self.conv(.plan, channels: 4), ExecutionOptions(algorithms: .only(.blockScatter))) == .direct)
    }

    @Test func problemsDescribeThemselvesAndTheirWork() {
        let p = Self.conv(.training, channels: 8, input: [2, 8, 10, 12])
        #expect(p.outputShape == [2, 8, 10, 12])
        #expect(p.multiplyAccumulates == 2 * 10 * 12 * 8 * 8 * 9)
        var d = p
        d.pass = .backwardData
        #expect(d.outputShape == [2, 8, 10, 12] && d.multiplyAccumulates == p.multiplyAccumulates)
        let up = ConvolutionProblem(stage: .plan, input: [1, 8, 16, 16], weight: [8, 4, 2, 2], geometry: Self.up2x2, transposed: true)
        #expect(up.outputShape == [1, 4, 32, 32])
        #expect(up.multiplyAccumulates == 16 * 16 * 8 * 4 * 4)
        #expect(p.description != d.description && p.description.contains("backward") == false)
    }
}
