import PixelwiseCore
import PixelwiseTestSupport
import Testing
@testable import PixelwiseKernels

/// The group-norm kernel's own contract (the layers' tests check outputs and gradients against
/// the reference): the statistics it hands to the backward pass, per (sample, group), equal the
/// double-precision mean and 1/√(σ² + ε) in both layouts, across several blocks of positions.
@Suite struct GroupNormKernelTests {
    @Test(arguments: [([2, 6, 45, 50], 3), ([1, 4, 3, 5, 7], 4), ([3, 8, 5, 5], 1)], [Layout.rowMajor, .channelsLast])
    func statisticsMatchReference(_ testCase: ([Int], Int), layout: Layout) throws {
        let (shape, groups) = testCase
        let x = Tensor.random(Shape(shape), in: -1...3, seed: 21)
        let (_, stats) = GroupNormKernel.forward(x.inLayout(layout), groups: groups, weight: nil, bias: nil, epsilon: 1e-5)
        let values = x.scalars.map(Double.init)
        let perGroup = values.count / (shape[0] * groups)
        for k in 0..<shape[0] * groups {
            let slab = values[k * perGroup..<(k + 1) * perGroup]  // row-major: (n, g) is contiguous
            let mean = slab.reduce(0, +) / Double(perGroup)
            let variance = slab.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(perGroup)
            #expect(abs(Double(stats.mean[k]) - mean) < 1e-5, "mean \(k)")
            #expect(abs(Double(stats.inverseDeviation[k]) * (variance + 1e-5).squareRoot() - 1) < 1e-5, "1/σ \(k)")
        }
    }

    /// Without the input gradient the parameter gradients are the same and no dx is made.
    @Test(arguments: [Layout.rowMajor, .channelsLast])
    func parameterGradientsWithoutInputGradient(_ layout: Layout) throws {
        let x = Tensor.random([2, 4, 9, 7], seed: 22).inLayout(layout), dy = Tensor.random([2, 4, 9, 7], seed: 23).inLayout(layout)
        let weight = Tensor.random([4], in: 0.5...1.5, seed: 24)
        let (_, stats) = GroupNormKernel.forward(x, groups: 2, weight: weight, bias: nil, epsilon: 1e-5)
        let full = GroupNormKernel.backward(dy, input: x, groups: 2, weight: weight, statistics: stats, needsInputGradient: true)
        let partial = GroupNormKernel.backward(dy, input: x, groups: 2, weight: weight, statistics: stats, needsInputGradient: false)
        #expect(full.input?.layout == layout && partial.input == nil)
        #expect(full.weight.scalars == partial.weight.scalars && full.bias.scalars == partial.bias.scalars)
    }
}
