import Testing
@testable import PixelwiseNN
import PixelwiseCore
import PixelwiseKernels

/// Compiled inference plans against the layer-by-layer reference on the same weights.
@Suite struct InferencePlanTests {
    /// A small valid-padding U-Net with every pattern the plan rewrites: conv+BN+ReLU, conv+LeakyReLU,
    /// max pooling, nearest ×2 then a 1×1 conv (commuted), MergeCrop, a transposed conv + BN + ReLU,
    /// dropout (identity), a bilinear up-sampling and an average pooling (fallback steps).
    static func network(batchNorm: Bool = true) throws -> Graph {
        let g = Graph(inputChannels: 2)
        var x = try g.add("c1", Convolution(inputChannels: 2, outputChannels: 8, kernelSize: 3, bias: !batchNorm), g.input)
        if batchNorm { x = try g.add("c1.bn", BatchNormalization(channels: 8), x) }
        let skip = try g.add("c1.relu", ReLU(), x)
        x = try g.add("pool", MaxPooling(kernelSize: 2), skip)
        x = try g.add("c2", Convolution(inputChannels: 8, outputChannels: 16, kernelSize: 3), x)
        x = try g.add("c2.relu", LeakyReLU(LeakyReLU.Configuration(negativeSlope: 0.1)), x)
        x = try g.add("drop", Dropout(probability: 0.5), x)
        x = try g.add("up.resize", Upsampling(factor: 2, method: .nearest), x)
        x = try g.add("up", Convolution(inputChannels: 16, outputChannels: 8, kernelSize: 1), x)
        x = try g.add("merge", MergeCrop(), x, skip)
        x = try g.add("t", TransposedConvolution(inputChannels: 16, outputChannels: 4, kernelSize: 2, stride: 2, bias: false), x)
        x = try g.add("t.bn", BatchNormalization(channels: 4), x)
        x = try g.add("t.relu", ReLU(), x)
        x = try g.add("avg", AveragePooling(kernelSize: 2), x)
        x = try g.add("bilinear", Upsampling(factor: 2, method: .bilinear), x)
        try g.add("head", Convolution(inputChannels: 4, outputChannels: 3, kernelSize: 1), x)
        g.resetParameters(seed: 7)
        // Batch-norm statistics far from the identity, so that folding is really exercised.
        var seed: UInt64 = 100
        for (name, p) in g.parameters + g.buffers where name.contains("bn") {
            seed += 1
            let r = Tensor.random(p.shape, in: 0.5...1.5, seed: seed)
            p.value = name.hasSuffix("bias") || name.hasSuffix("running_mean") ? Tensor(shape: r.shape, scalars: r.scalars.map { $0 - 1 }) : r
        }
        return g
    }

    static func reference(_ g: Graph, _ x: Tensor) throws -> Tensor {
        let strategy = g.inferenceStrategy
        g.inferenceStrategy = .layerByLayer
        defer { g.inferenceStrategy = strategy }
        return try g.forward(x, mode: .inference)
    }

    @Test func fusedPlanMatchesLayerByLayer() throws {
        let g = try Self.network()
        let x = Tensor.random([2, 2, 28, 28], seed: 3)
        let expected = try Self.reference(g, x)
        let plan = try g.inferencePlan(for: x.shape, precision: .float32)
        let y = try plan.run(x)
        #expect(y.shape == expected.shape)
        #expect(y.maxAbsDifference(expected) <= 1e-4 * max(expected.maxAbs, 1))
        // conv+bn+relu, leaky relu and transposed conv+bn+relu each became one step; dropout none.
        #expect(plan.program.stepNames.contains("c1+c1.bn+c1.relu"))
        #expect(plan.program.stepNames.contains("c2+c2.relu"))
        #expect(plan.program.stepNames.contains("t+t.bn+t.relu"))
        #expect(plan.program.blockScatterStepNames == ["t+t.bn+t.relu"], "the 2×2 stride-2 up-convolution runs as GEMM + scatter")
        #expect(!plan.program.stepNames.contains { $0.contains("drop") })
        // The 1×1 conv runs before the up-sampling, at the low resolution.
        let up = plan.program.stepNames.firstIndex(of: "up")!, resize = plan.program.stepNames.firstIndex(of: "up.resize")!
        #expect(up < resize)
        // Graph.forward in inference uses the plan by default.
        #expect(try g.forward(x, mode: .inference).maxAbsDifference(y) == 0)
    }

    @Test func planRefreshesWeightsWhenParametersChange() throws {
        let g = try Self.network()
        let x = Tensor.random([1, 2, 28, 28], seed: 4)
        let before = try g.forward(x, mode: .inference)
        let conv = g.node(named: "c2")!.layer as! Convolution
        conv.weight.value.scale(by: 0.5)  // in place: only Parameter.version tells
        let bn = g.node(named: "t.bn")!.layer as! BatchNormalization
        bn.runningMean.value.add(Tensor(repeating: 0.25, shape: [4]))
        let after = try g.forward(x, mode: .inference)
        let expected = try Self.reference(g, x)
        #expect(after.maxAbsDifference(before) > 1e-3)
        #expect(after.maxAbsDifference(expected) <= 1e-4 * max(expected.maxAbs, 1))
    }

    @Test(.enabled(if: Precision.bfloat16IsNative, "this CPU has no bf16 arithmetic"))
    func bfloat16StaysCloseToFloat32() throws {
        let g = try Self.network(batchNorm: false)
        let x = Tensor.random([1, 2, 36, 36], seed: 5)
        let expected = try Self.reference(g, x)
        let y = try g.inferencePlan(for: x.shape, precision: .bfloat16).run(x)
        let range = expected.scalars.max()! - expected.scalars.min()!
        // bf16 keeps 8 mantissa bits (relative step 2⁻⁸ ≈ 0.4 %); through 5 weighted layers the
        // documented bound is 3 % of the output range, and it must not be exact.
        let difference = y.maxAbsDifference(expected)
        #expect(difference <= 0.03 * range)
        #expect(difference > 0)
    }

    @Test func foldedBatchNormEqualsConvolutionThenBatchNorm() throws {
        let conv = try Convolution(inputChannels: 3, outputChannels: 4, kernelSize: 3)
        var generator = SeededGenerator(seed: 9)
        conv.resetParameters(using: &generator)
        conv.bias!.value = Tensor(shape: [4], scalars: [0.1, -0.2, 0.3, 0])
        let bn = try BatchNormalization(channels: 4)
        bn.scale.value = Tensor(shape: [4], scalars: [1.5, 0.5, -1, 2])
        bn.shift.value = Tensor(shape: [4], scalars: [0, 1, -1, 0.5])
        bn.runningMean.value = Tensor(shape: [4], scalars: [0.2, -0.1, 0, 1])
        bn.runningVariance.value = Tensor(shape: [4], scalars: [0.5, 2, 1, 0.1])
        let x = Tensor.random([1, 3, 9, 9], seed: 2)
        let expected = try bn.forward([conv.forward([x], mode: .inference)], mode: .inference)
        let (w, b) = BatchNormFolding.fold(weight: conv.weight.value, bias: conv.bias!.value, transposed: false, into: bn.channelAffine)
        conv.weight.value = w
        conv.bias!.value = b
        let y = try conv.forward([x], mode: .inference)
        #expect(y.maxAbsDifference(expected) <= 1e-5 * max(expected.maxAbs, 1))
    }

    /// Without bf16 hardware (e.g. AVX2 only) oneDNN 2.6 has no bf16 convolution: a bf16 request
    /// must compile the fp32 plan rather than fail; with it, bf16 really runs.
    @Test func bfloat16RequestRunsWhereverItCan() throws {
        let g = try Self.network(batchNorm: false)
        let x = Tensor.random([1, 2, 36, 36], seed: 5)
        let plan = try g.inferencePlan(for: x.shape, precision: .bfloat16)
        #expect(plan.precision == (Precision.bfloat16IsNative ? .bfloat16 : .float32))
        let y16 = try plan.run(x), y32 = try g.inferencePlan(for: x.shape, precision: .float32).run(x)
        if Precision.bfloat16IsNative {
            #expect(y16.maxAbsDifference(y32) > 0)
        } else {
            #expect(y16.maxAbsDifference(y32) == 0)
        }
    }

    /// Convolutions in the activation formats oneDNN picks (blocked on x86) against the all
    /// channels-last plan and the layer-by-layer reference, run twice (the arena is reused): the
    /// same values, reorders only where a step with its own kernel (merge, up-sampling) or the
    /// narrow classifier needs channels-last, none between the chained convolutions.
    @Test func chosenFormatsMatchChannelsLast() throws {
        let g = Graph(inputChannels: 1)
        var x = try g.add("c1", Convolution(inputChannels: 1, outputChannels: 16, kernelSize: 3, bias: false), g.input)
        x = try g.add("c1.bn", BatchNormalization(channels: 16), x)
        x = try g.add("c1.relu", ReLU(), x)
        let skip = try g.add("c2", Convolution(inputChannels: 16, outputChannels: 16, kernelSize: 3), x)
        x = try g.add("pool", MaxPooling(kernelSize: 2), skip)
        x = try g.add("c3", Convolution(inputChannels: 16, outputChannels: 32, kernelSize: 3), x)
        x = try g.add("c3.relu", ReLU(), x)
        x = try g.add("c4", Convolution(inputChannels: 32, outputChannels: 32, kernelSize: 3), x)
        x = try g.add("up.resize", Upsampling(factor: 2, method: .nearest), x)
        x = try g.add("up", Convolution(inputChannels: 32, outputChannels: 16, kernelSize: 1), x)
        x = try g.add("merge", MergeCrop(), x, skip)
        x = try g.add("c5", Convolution(inputChannels: 32, outputChannels: 16, kernelSize: 3), x)
        x = try g.add("c5.relu", ReLU(), x)
        try g.add("head", Convolution(inputChannels: 16, outputChannels: 3, kernelSize: 1), x)
        g.resetParameters(seed: 11)
        let input = Tensor.random([2, 1, 40, 40], seed: 12)
        let expected = try Self.reference(g, input)
        let chosen = try InferencePlan(graph: g, inputShape: input.shape, chooseFormats: true)
        let channelsLast = try InferencePlan(graph: g, inputShape: input.shape, chooseFormats: false)
        let y = try chosen.run(input), again = try chosen.run(input)
        let z = try channelsLast.run(input)
        #expect(y.shape == expected.shape && y.layout == .channelsLast)
        #expect(y.maxAbsDifference(expected) <= 1e-5 * max(expected.maxAbs, 1))
        #expect(y.maxAbsDifference(z) <= 1e-5 * max(z.maxAbs, 1))
        #expect(again.maxAbsDifference(y) == 0)
        let names = chosen.program.stepNames
        #expect(!channelsLast.program.stepNames.contains { $0.hasSuffix("(reorder)") })
        // oneDNN's AVX2 kernels pick channel-blocked activations, so the merge needs its input reordered;
        // AVX-512's brgconv picks channels-last, and then there is nothing to convert anywhere.
        let blocked = names.indices.contains { !chosen.program.writesChannelsLast($0) }
        #expect(names.contains("merge (reorder)") == blocked, "\(names)")
        if !blocked { #expect(!names.contains { $0.hasSuffix("(reorder)") }, "\(names)") }
        #expect(!names.contains("c1+c1.bn+c1.relu (reorder)") && !names.contains("pool (reorder)") && !names.contains("c3+c3.relu (reorder)"),
                "chained convolutions and pooling share one format: \(names)")
        for (i, name) in names.enumerated() { #expect(chosen.program.isReorder(i) == name.hasSuffix("(reorder)")) }
        #expect(chosen.stepNodes.count == names.count)
    }
}
