import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore
import PixelwiseKernels

struct PoolingCase: CustomStringConvertible, Sendable {
    var input: [Int]
    var kernel: [Int]
    var stride: [Int]
    var dilation: [Int]
    var description: String { "\(input) k\(kernel) s\(stride) d\(dilation)" }

    static let maxCases: [PoolingCase] = [
        .init(input: [2, 3, 8, 10], kernel: [2, 2], stride: [2, 2], dilation: [1, 1]),
        .init(input: [1, 17, 9, 11], kernel: [3, 3], stride: [2, 2], dilation: [1, 1]),   // overlapping windows, odd sizes
        .init(input: [2, 5, 7, 9], kernel: [2, 3], stride: [1, 2], dilation: [1, 1]),
        .init(input: [2, 3, 9, 10], kernel: [2, 2], stride: [1, 1], dilation: [2, 2]),   // SK pooling
        .init(input: [1, 5, 13, 11], kernel: [3, 2], stride: [2, 1], dilation: [3, 2]),
        .init(input: [2, 3, 4, 6, 5], kernel: [2, 2, 2], stride: [2, 2, 2], dilation: [1, 1, 1]),
        .init(input: [1, 3, 5, 6, 7], kernel: [2, 2, 2], stride: [1, 1, 1], dilation: [2, 2, 2]),
    ]

    static let averageCases: [PoolingCase] = [
        .init(input: [2, 3, 8, 10], kernel: [2, 2], stride: [2, 2], dilation: [1, 1]),
        .init(input: [1, 17, 9, 11], kernel: [3, 3], stride: [2, 2], dilation: [1, 1]),
        .init(input: [2, 5, 7, 9], kernel: [3, 2], stride: [1, 3], dilation: [1, 1]),
        .init(input: [2, 3, 5, 6, 7], kernel: [2, 2, 2], stride: [2, 2, 2], dilation: [1, 1, 1]),
    ]
}

@Suite struct PoolingTests {
    /// Distinct inputs spaced 0.01 apart and ε = 1e-3: no ties, and no perturbation moves an arg-max.
    @Test(arguments: PoolingCase.maxCases, [Layout.rowMajor, .channelsLast])
    func maxPooling(_ c: PoolingCase, layout: Layout) throws {
        let layer = try MaxPooling(MaxPooling.Configuration(kernelSize: c.kernel, stride: c.stride, dilation: c.dilation))
        var data = TestData(seed: 51)
        let x = data.distinct(c.input.reduce(1, *))
        let check = LayerCheck(inputs: [(c.input, x)], layout: layout, gradientTolerance: 1e-4, samples: 64, epsilon: 1e-3, seed: 52)
        try check.run(layer, "max pool \(c) \(layout)") { ins, _ in
            PoolingReference.forward(.max, ins[0], shape: c.input, kernel: c.kernel, stride: c.stride, dilation: c.dilation).values
        }
    }

    /// Every input element gets exactly the summed gradient of the windows whose maximum it is:
    /// the whole gradient, not a sample.
    @Test(arguments: [Layout.rowMajor, .channelsLast])
    func maxPoolingRoutesWholeGradientToArgMax(_ layout: Layout) throws {
        let shape = [2, 3, 9, 8]
        for dilation in [1, 2] {
            let layer = try MaxPooling(kernelSize: 3, stride: 1, dilation: dilation)
            var data = TestData(seed: 53)
            let x = data.distinct(shape.reduce(1, *))
            let y = try layer.forward([tensor(shape, x, layout)], mode: .training)
            let g = data.uniform(y.count)
            let dx = try layer.backward(tensor(y.shape.dims, g, y.layout), inputs: [tensor(shape, x, layout)], output: y,
                                        needsInputGradient: [true])[0]!
            var expected = [Float](repeating: 0, count: x.count)
            let oh = y.shape[2], ow = y.shape[3]
            for n in 0..<2 { for c in 0..<3 { for i in 0..<oh { for j in 0..<ow {
                var best = -Float.infinity, at = 0
                for ky in 0..<3 { for kx in 0..<3 {
                    let idx = ((n * 3 + c) * 9 + i + ky * dilation) * 8 + j + kx * dilation
                    if x[idx] > best { best = x[idx]; at = idx }
                } }
                expected[at] += g[((n * 3 + c) * oh + i) * ow + j]
            } } } }
            expectClose(dx.scalars, expected, tolerance: 1e-6, "dilation \(dilation)")
        }
    }

    @Test(arguments: PoolingCase.averageCases, [Layout.rowMajor, .channelsLast])
    func averagePooling(_ c: PoolingCase, layout: Layout) throws {
        let layer = try AveragePooling(AveragePooling.Configuration(kernelSize: c.kernel, stride: c.stride))
        var data = TestData(seed: 54)
        let x = data.uniform(c.input.reduce(1, *))
        let check = LayerCheck(inputs: [(c.input, x)], layout: layout, seed: 55)
        try check.run(layer, "average pool \(c) \(layout)") { ins, _ in
            PoolingReference.forward(.average, ins[0], shape: c.input, kernel: c.kernel, stride: c.stride).values
        }
    }

    @Test func rejectsWindowLargerThanInput() throws {
        let layer = try MaxPooling(kernelSize: 3, dilation: 3)
        #expect(throws: PixelwiseError.self) { try layer.outputShape(for: [[1, 1, 6, 20]]) }
        #expect(try layer.outputShape(for: [[1, 1, 7, 20]]) == [1, 1, 1, 5])
    }
}
