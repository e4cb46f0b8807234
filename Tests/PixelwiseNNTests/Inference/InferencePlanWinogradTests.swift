import Testing
@testable import PixelwiseNN
import PixelwiseCore
import PixelwiseKernels

/// Inference plans that run wide 3×3 convolutions by Winograd (the kernel itself: PixelwiseKernelsTests).
@Suite struct InferencePlanWinogradTests {
    /// A small same-padding U-Net level: the 3×3 convolutions with enough input channels (with
    /// fused BN and ReLU) run by Winograd, the others by oneDNN, and the result stays within
    /// rounding of the layer-by-layer network.
    @Test func planUsesWinogradForWide3x3ConvolutionsAndKeepsTheResult() throws {
        let g = Graph(inputChannels: 2)
        var x = try g.add("c1", Convolution(inputChannels: 2, outputChannels: 16, kernelSize: 3, padding: .same), g.input)
        x = try g.add("c1.relu", ReLU(), x)
        x = try g.add("c2", Convolution(inputChannels: 16, outputChannels: 16, kernelSize: 3, padding: .same, bias: false), x)
        x = try g.add("c2.bn", BatchNormalization(channels: 16), x)
        let skip = try g.add("c2.relu", ReLU(), x)
        x = try g.add("pool", MaxPooling(kernelSize: 2), skip)
        x = try g.add("c3", Convolution(inputChannels: 16, outputChannels: 32, kernelSize: 3, padding: .same), x)
        x = try g.add("c3.relu", ReLU(), x)
        x = try g.add("up", TransposedConvolution(inputChannels: 32, outputChannels: 16, kernelSize: 2, stride: 2), x)
        x = try g.add("merge", Concatenation(), x, skip)
        x = try g.add("c4", Convolution(inputChannels: 32, outputChannels: 16, kernelSize: 3, padding: .same), x)
        x = try g.add("c4.sigmoid", Sigmoid(), x)
        try g.add("head", Convolution(inputChannels: 16, outputChannels: 2, kernelSize: 1), x)
        g.resetParameters(seed: 21)
        let input = Tensor.random([1, 2, 30, 26], seed: 22)
        let expected = try InferencePlanTests.reference(g, input)
        g.inferenceOptions.algorithms = .exact
        let direct = try g.forward(input, mode: .inference)
        // From 16 channels (the default, 32, would leave this small network direct).
        let plan = try InferencePlan(graph: g, inputShape: input.shape, options: ExecutionOptions(winograd: true, winogradMinimumChannels: 16))
        // c1 has 2 input channels; c4 ends in a sigmoid, which the output transform does not fuse.
        #expect(plan.program.winogradStepNames == ["c2+c2.bn+c2.relu", "c3+c3.relu"])
        let y = try plan.run(input)
        let scale = max(expected.maxAbs, 1)
        #expect(y.maxAbsDifference(expected) <= 1e-5 * scale)
        #expect(y.maxAbsDifference(direct) > 0, "a different algorithm, not the same kernel")
        // Through the graph: with the default threshold nothing here is wide enough.
        g.winogradInference = true
        #expect(try g.inferencePlan(for: input.shape, precision: .float32).program.winogradStepNames.isEmpty)
    }

    /// `--exact` (`AlgorithmSelection.exact`) is the direct path of earlier versions bit for bit where
    /// that path was direct (every convolution here: no up-convolution, forward and backward data),
    /// and the measured default gives something else only by choosing another algorithm.
    @Test func exactIsTheDirectPathBitForBit() throws {
        let g = Graph(inputChannels: 1)
        var x = try g.add("c1", Convolution(inputChannels: 1, outputChannels: 32, kernelSize: 3, padding: .same), g.input)
        x = try g.add("c1.relu", ReLU(), x)
        x = try g.add("c2", Convolution(inputChannels: 32, outputChannels: 32, kernelSize: 3, padding: .same), x)
        x = try g.add("c2.relu", ReLU(), x)
        try g.add("head", Convolution(inputChannels: 32, outputChannels: 2, kernelSize: 1), x)
        g.resetParameters(seed: 31)
        let input = Tensor.random([2, 1, 40, 36], seed: 32)
        func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }
        func run(_ selection: AlgorithmSelection) throws -> (plan: [UInt32], training: [UInt32], inputGradient: [UInt32]) {
            let plan = try InferencePlan(graph: g, inputShape: input.shape, options: ExecutionOptions(algorithms: selection))
            g.trainingOptions.algorithms = selection
            let y = try g.forward(input, mode: .training)
            let c2 = g.nodes.first { $0.name == "c2" }!.layer
            let h = try g.nodes.first { $0.name == "c1" }!.layer.forward([input], mode: .training, options: ExecutionOptions(algorithms: selection))
            let out = try c2.forward([h], mode: .training, options: ExecutionOptions(algorithms: selection))
            let dx = try c2.backward(Tensor.random(out.shape, seed: 33).inLayout(out.layout), inputs: [h], output: out,
                                     needsInputGradient: [true], options: ExecutionOptions(algorithms: selection))[0]!
            return (bits(try plan.run(input)), bits(y), bits(dx))
        }
        let exact = try run(.exact), before = try run(.rules)
        #expect(exact.plan == before.plan && exact.training == before.training && exact.inputGradient == before.inputGradient)
        let winograd = try run(.only(.winograd))
        #expect(winograd.plan != exact.plan && winograd.inputGradient != exact.inputGradient, "another algorithm is a change")
    }
}
