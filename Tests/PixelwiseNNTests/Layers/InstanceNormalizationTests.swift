import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore
import PixelwiseKernels

@Suite struct InstanceNormalizationTests {
    /// 2-D and 3-D, odd sizes, a single position per map's axis, and a map of more than 2048 positions.
    static let shapes: [[Int]] = [[2, 3, 5, 7], [3, 5, 1, 9], [1, 4, 9, 11], [2, 3, 3, 4, 5], [1, 2, 5, 1, 3], [2, 3, 41, 53]]

    static func makeLayer(channels: Int, seed: UInt64) throws -> InstanceNormalization {
        let layer = try InstanceNormalization(channels: channels)
        var data = TestData(seed: seed)
        layer.weight.value = tensor([channels], data.uniform(channels, in: 0.5...1.5))
        layer.bias.value = tensor([channels], data.uniform(channels))
        return layer
    }

    /// Forward against the double-precision reference (G = C); dL/dx, dL/dγ, dL/dβ against finite differences.
    @Test(arguments: shapes, [Layout.rowMajor, .channelsLast])
    func matchesReference(_ shape: [Int], layout: Layout) throws {
        let c = shape[1]
        let layer = try Self.makeLayer(channels: c, seed: 61)
        let x = GroupNormalizationTests.input(shape, seed: 62)
        let check = LayerCheck(inputs: [(shape, x)], parameters: [layer.weight, layer.bias], layout: layout, samples: 16, seed: 63)
        try check.run(layer, "instance norm \(shape) \(layout)") { ins, ps in
            GroupNormReference.forward(ins[0], shape: shape, groups: c, scale: ps[0], shift: ps[1], epsilon: 1e-5)
        }
    }

    /// Each map is normalised on its own: with γ = 1, β = 0 every (n, c) map has mean 0 and variance σ²/(σ² + ε).
    @Test(arguments: [Layout.rowMajor, .channelsLast])
    func everyMapIsStandardised(_ layout: Layout) throws {
        let shape = [3, 4, 7, 9]
        let layer = try InstanceNormalization(channels: 4)
        let y = try layer.forward([tensor(shape, GroupNormalizationTests.input(shape, seed: 64), layout)], mode: .inference).scalars
        for map in 0..<12 {
            let values = y[map * 63..<(map + 1) * 63].map(Double.init)
            let mean = values.reduce(0, +) / 63
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 63
            #expect(abs(mean) < 1e-5 && abs(variance - 1) < 1e-3, "map \(map): mean \(mean), variance \(variance)")
        }
    }

    /// Inference computes exactly what training does (no running statistics, no buffers).
    @Test func inferenceEqualsTraining() throws {
        let shape = [2, 3, 4, 5, 6]
        let layer = try Self.makeLayer(channels: 3, seed: 65)
        let x = tensor(shape, GroupNormalizationTests.input(shape, seed: 66), .channelsLast)
        #expect(try layer.forward([x], mode: .training).storageScalars == layer.forward([x], mode: .inference).storageScalars)
        #expect(layer.buffers.isEmpty)
    }

    @Test func parametersAndErrors() throws {
        let layer = try InstanceNormalization(channels: 3)
        #expect(layer.parameters.map(\.name) == ["weight", "bias"])
        #expect(layer.weight.value.shape == [3] && layer.bias.value.shape == [3])
        #expect(try InstanceNormalization(InstanceNormalization.Configuration(channels: 3, affine: false)).parameters.isEmpty)
        #expect(throws: PixelwiseError.self) { try InstanceNormalization(channels: 0) }
        #expect(throws: PixelwiseError.self) { try layer.outputShape(for: [[1, 2, 5, 5]]) }
        #expect(throws: PixelwiseError.self) { try layer.outputShape(for: [[3, 5]]) }
    }
}
