import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore
import PixelwiseKernels

@Suite struct GroupNormalizationTests {
    /// (shape, groups): 2-D and 3-D, odd sizes, one channel per group, one group, and maps of more
    /// than 2048 positions (the kernel's block) so that partial sums are combined across blocks.
    static let cases: [([Int], Int)] = [
        ([2, 6, 5, 7], 3), ([3, 4, 3, 1], 4), ([1, 5, 9, 11], 1), ([2, 6, 3, 4, 5], 2),
        ([1, 3, 2, 3, 7], 3), ([1, 4, 50, 47], 2), ([2, 2, 7, 19, 17], 1),
    ]

    static func makeLayer(groups: Int, channels: Int, seed: UInt64) throws -> GroupNormalization {
        let layer = try GroupNormalization(groups: groups, channels: channels)
        var data = TestData(seed: seed)
        layer.weight.value = tensor([channels], data.uniform(channels, in: 0.5...1.5))
        layer.bias.value = tensor([channels], data.uniform(channels))
        return layer
    }

    /// Values with an offset and a spread per channel, so that normalisation has something to remove.
    static func input(_ shape: [Int], seed: UInt64, offset: Float = 0) -> [Float] {
        var data = TestData(seed: seed)
        let pixels = shape.dropFirst(2).reduce(1, *)
        return data.uniform(shape.reduce(1, *)).enumerated().map { i, v in
            let c = (i / pixels) % shape[1]
            return 3 * v * Float(1 + c % 3) + Float(c) - 4 + offset
        }
    }

    /// Forward against the double-precision reference; dL/dx, dL/dγ, dL/dβ against finite differences.
    @Test(arguments: cases, [Layout.rowMajor, .channelsLast])
    func matchesReference(_ testCase: ([Int], Int), layout: Layout) throws {
        let (shape, groups) = testCase
        let layer = try Self.makeLayer(groups: groups, channels: shape[1], seed: 81)
        let check = LayerCheck(inputs: [(shape, Self.input(shape, seed: 82))], parameters: [layer.weight, layer.bias], layout: layout,
                               samples: 16, seed: 83)
        try check.run(layer, "group norm \(shape) G=\(groups) \(layout)") { ins, ps in
            GroupNormReference.forward(ins[0], shape: shape, groups: groups, scale: ps[0], shift: ps[1], epsilon: 1e-5)
        }
    }

    /// Inference computes exactly what training does (no running statistics).
    @Test(arguments: [Layout.rowMajor, .channelsLast])
    func inferenceEqualsTraining(_ layout: Layout) throws {
        let shape = [2, 8, 6, 5]
        let layer = try Self.makeLayer(groups: 4, channels: 8, seed: 84)
        let x = tensor(shape, Self.input(shape, seed: 85), layout)
        let train = try layer.forward([x], mode: .training), infer = try layer.forward([x], mode: .inference)
        #expect(train.layout == layout && infer.layout == layout)
        #expect(train.storageScalars == infer.storageScalars)
    }

    /// G = C is instance normalisation: the same outputs and gradients.
    @Test(arguments: [[2, 5, 6, 7], [1, 3, 4, 5, 3]], [Layout.rowMajor, .channelsLast])
    func oneChannelPerGroupIsInstanceNorm(_ shape: [Int], layout: Layout) throws {
        let c = shape[1]
        let group = try Self.makeLayer(groups: c, channels: c, seed: 86)
        let instance = try InstanceNormalization(channels: c)
        instance.weight.value = group.weight.value
        instance.bias.value = group.bias.value
        let x = tensor(shape, Self.input(shape, seed: 87), layout)
        let dy = tensor(shape, TestData(seed: 88).uniformCopy(shape.reduce(1, *)), layout)
        let yg = try group.forward([x], mode: .training), yi = try instance.forward([x], mode: .training)
        #expect(yg.storageScalars == yi.storageScalars)
        let dg = try group.backward(dy, inputs: [x], output: yg, needsInputGradient: [true])
        let di = try instance.backward(dy, inputs: [x], output: yi, needsInputGradient: [true])
        #expect(dg[0]!.storageScalars == di[0]!.storageScalars)
        #expect(group.weight.gradient!.scalars == instance.weight.gradient!.scalars)
        #expect(group.bias.gradient!.scalars == instance.bias.gradient!.scalars)
    }

    /// G = 1 is layer normalisation over (C, [D,] H, W), checked against a separate reference.
    @Test(arguments: [[2, 5, 6, 7], [3, 2, 3, 4, 5]], [Layout.rowMajor, .channelsLast])
    func oneGroupIsLayerNorm(_ shape: [Int], layout: Layout) throws {
        let layer = try Self.makeLayer(groups: 1, channels: shape[1], seed: 89)
        let x = Self.input(shape, seed: 90)
        let check = LayerCheck(inputs: [(shape, x)], parameters: [layer.weight, layer.bias], layout: layout, samples: 12, seed: 91)
        try check.run(layer, "layer norm \(shape) \(layout)") { ins, ps in
            GroupNormReference.layerNorm(ins[0], shape: shape, scale: ps[0], shift: ps[1], epsilon: 1e-5)
        }
    }

    /// Data far from zero (a mean 400 times the spread): the statistics must not cancel.
    @Test(arguments: [Layout.rowMajor, .channelsLast])
    func largeOffsetKeepsPrecision(_ layout: Layout) throws {
        let shape = [2, 4, 33, 65]
        let layer = try Self.makeLayer(groups: 2, channels: 4, seed: 92)
        var data = TestData(seed: 93)
        let x = data.uniform(shape.reduce(1, *)).map { 400 + $0 }
        let y = try layer.forward([tensor(shape, x, layout)], mode: .training)
        let expected = GroupNormReference.forward(x.doubles, shape: shape, groups: 2, scale: layer.weight.value.scalars.doubles,
                                                  shift: layer.bias.value.scalars.doubles, epsilon: 1e-5)
        expectClose(y.scalars, expected, tolerance: 2e-4, "offset 400")
    }

    /// A constant map has σ² = 0: the output is β (x̂ = 0, no division by zero), the gradient finite.
    @Test func constantInputGivesBias() throws {
        let layer = try Self.makeLayer(groups: 2, channels: 4, seed: 94)
        let x = tensor([1, 4, 3, 3], [Float](repeating: 2.5, count: 36))
        let y = try layer.forward([x], mode: .training)
        let bias = layer.bias.value.scalars
        expectClose(y.scalars, (0..<36).map { bias[$0 / 9] }, tolerance: 1e-6, "constant input")
        let dx = try layer.backward(tensor([1, 4, 3, 3], TestData(seed: 95).uniformCopy(36)), inputs: [x], output: y, needsInputGradient: [true])
        #expect(dx[0]!.scalars.allSatisfy { $0.isFinite })
    }

    @Test func parametersConfigurationAndErrors() throws {
        let layer = try GroupNormalization(groups: 2, channels: 6)
        #expect(layer.parameters.map(\.name) == ["weight", "bias"] && layer.buffers.isEmpty)
        #expect(layer.weight.value.scalars == [1, 1, 1, 1, 1, 1] && layer.bias.value.scalars == [0, 0, 0, 0, 0, 0])
        #expect(layer.configuration.epsilon == 1e-5)
        let plain = try GroupNormalization(GroupNormalization.Configuration(groups: 3, channels: 6, affine: false))
        #expect(plain.parameters.isEmpty)
        #expect(throws: PixelwiseError.self) { try GroupNormalization(groups: 4, channels: 6) }
        #expect(throws: PixelwiseError.self) { try GroupNormalization(groups: 0, channels: 6) }
        #expect(throws: PixelwiseError.self) { try layer.outputShape(for: [[1, 4, 5, 5]]) }
        #expect(throws: PixelwiseError.self) { try layer.backward(Tensor(zeros: [1, 6, 2, 2]), inputs: [Tensor(zeros: [1, 6, 2, 2])],
                                                                  output: Tensor(zeros: [1, 6, 2, 2]), needsInputGradient: [true]) }
    }

    /// Without affine parameters: y = x̂, and the input gradient still matches finite differences.
    @Test(arguments: [Layout.rowMajor, .channelsLast])
    func withoutAffine(_ layout: Layout) throws {
        let shape = [2, 6, 4, 5]
        let layer = try GroupNormalization(GroupNormalization.Configuration(groups: 3, channels: 6, epsilon: 1e-3, affine: false))
        let ones = [Double](repeating: 1, count: 6), zeros = [Double](repeating: 0, count: 6)
        let check = LayerCheck(inputs: [(shape, Self.input(shape, seed: 96))], layout: layout, samples: 16, seed: 97)
        try check.run(layer, "group norm without affine \(layout)") { ins, _ in
            GroupNormReference.forward(ins[0], shape: shape, groups: 3, scale: ones, shift: zeros, epsilon: 1e-3)
        }
    }
}

