import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore
import PixelwiseKernels

@Suite struct BatchNormalizationTests {
    static let shapes: [[Int]] = [[2, 3, 5, 7], [3, 17, 4, 3], [1, 5, 9, 11], [2, 3, 3, 4, 5]]

    static func makeLayer(channels: Int, seed: UInt64) throws -> BatchNormalization {
        let layer = try BatchNormalization(channels: channels)
        var data = TestData(seed: seed)
        layer.scale.value = tensor([channels], data.uniform(channels, in: 0.5...1.5))
        layer.shift.value = tensor([channels], data.uniform(channels))
        return layer
    }

    /// Training mode: batch statistics; dL/dx (which flows through μ and σ² too), dL/dγ, dL/dβ.
    @Test(arguments: shapes, [Layout.rowMajor, .channelsLast])
    func training(_ shape: [Int], layout: Layout) throws {
        let c = shape[1]
        let layer = try Self.makeLayer(channels: c, seed: 71)
        var data = TestData(seed: 72)
        // An offset and spread per channel, so that normalisation has something to remove.
        let x = data.uniform(shape.reduce(1, *)).enumerated().map { i, v in
            let ch = (i / shape.dropFirst(2).reduce(1, *)) % c
            return 3 * v * Float(1 + ch % 3) + Float(ch) - 4
        }
        let eps = Double(layer.configuration.epsilon)
        let check = LayerCheck(inputs: [(shape, x)], parameters: [layer.scale, layer.shift], layout: layout, seed: 73)
        try check.run(layer, "batch norm \(shape) \(layout)") { ins, ps in
            BatchNormReference.train(ins[0], shape: shape, scale: ps[0], shift: ps[1], epsilon: eps)
        }
    }

    /// One training step moves the running averages by momentum 0.1 towards the batch mean and the
    /// unbiased batch variance; inference then normalises with them.
    @Test(arguments: [Layout.rowMajor, .channelsLast])
    func runningAveragesAndInference(_ layout: Layout) throws {
        let shape = [3, 5, 4, 6]
        let layer = try Self.makeLayer(channels: 5, seed: 74)
        var data = TestData(seed: 75)
        let startMean = data.uniform(5), startVariance = data.uniform(5, in: 0.5...2)
        layer.runningMean.value = tensor([5], startMean)
        layer.runningVariance.value = tensor([5], startVariance)
        let x = data.uniform(shape.reduce(1, *), in: -2...3)
        _ = try layer.forward([tensor(shape, x, layout)], mode: .training)

        let batch = BatchNormReference.statistics(x.doubles, shape: shape)
        let expected = BatchNormReference.updatedRunning(mean: startMean.doubles, variance: startVariance.doubles, batch: batch,
                                                         perChannel: 3 * 4 * 6, momentum: 0.1)
        expectClose(layer.runningMean.value.scalars, expected.mean, tolerance: 1e-5, "running mean")
        expectClose(layer.runningVariance.value.scalars, expected.variance, tolerance: 1e-5, "running variance")

        let x2 = data.uniform(shape.reduce(1, *))
        let y = try layer.forward([tensor(shape, x2, layout)], mode: .inference)
        let reference = BatchNormReference.normalise(x2.doubles, shape: shape, mean: expected.mean, variance: expected.variance,
                                                     scale: layer.scale.value.scalars.doubles, shift: layer.shift.value.scalars.doubles,
                                                     epsilon: 1e-5)
        expectClose(y.scalars, reference, tolerance: 1e-5, "inference")
        // Inference must not move the running averages.
        expectClose(layer.runningMean.value.scalars, expected.mean, tolerance: 1e-6, "running mean after inference")
    }

    @Test func parameterAndBufferNames() throws {
        let layer = try BatchNormalization(channels: 4)
        #expect(layer.parameters.map(\.name) == ["weight", "bias"])
        #expect(layer.buffers.map(\.name) == ["running_mean", "running_var"])
        #expect(layer.scale.value.scalars == [1, 1, 1, 1] && layer.runningVariance.value.scalars == [1, 1, 1, 1])
    }
}
