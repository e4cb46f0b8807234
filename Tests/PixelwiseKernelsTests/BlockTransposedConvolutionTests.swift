import PixelwiseCore
import Testing
@testable import PixelwiseKernels

/// The GEMM-and-scatter up-convolution against oneDNN's general deconvolution (which the layer
/// used before, and which `TransposedConvolutionTests` checks against the double reference).
@Suite struct BlockTransposedConvolutionTests {
    struct Case: CustomStringConvertible, Sendable {
        var input: [Int]
        var outputChannels: Int
        var kernel: [Int]
        var bias: Bool
        var chunkRows: Int?
        var description: String { "\(input) → \(outputChannels) k\(kernel) bias \(bias) chunk \(chunkRows.map(String.init) ?? "default")" }
    }

    static let cases: [Case] = [
        .init(input: [3, 40, 9, 7], outputChannels: 24, kernel: [2, 2], bias: true, chunkRows: 17),  // chunks end mid-row and mid-image
        .init(input: [2, 64, 16, 16], outputChannels: 32, kernel: [2, 2], bias: false, chunkRows: nil),
        .init(input: [1, 5, 4, 6], outputChannels: 3, kernel: [3, 2], bias: true, chunkRows: 5),  // unequal kernel axes
        .init(input: [2, 12, 3, 4, 5], outputChannels: 8, kernel: [2, 2, 2], bias: true, chunkRows: 11),
        .init(input: [1, 6, 2, 5, 4], outputChannels: 4, kernel: [1, 2, 2], bias: true, chunkRows: nil),  // anisotropic 3-D U-Net
    ]

    @Test(arguments: cases)
    func matchesOneDNN(_ c: Case) throws {
        let cin = c.input[1], cout = c.outputChannels
        let weightShape = Shape([cin, cout] + c.kernel)
        let geometry = ConvolutionGeometry(stride: c.kernel, dilation: c.kernel.map { _ in 1 }, paddingLow: c.kernel.map { _ in 0 },
                                           paddingHigh: c.kernel.map { _ in 0 })
        #expect(BlockTransposedConvolution.applies(kernel: c.kernel, geometry: geometry))
        let w = Tensor.random(weightShape, in: -0.5...0.5, seed: 1)
        let b = c.bias ? Tensor.random([cout], seed: 2) : nil
        let x = Tensor.random(Shape(c.input), seed: 3).inLayout(.channelsLast)
        let outShape = Shape([c.input[0], cout] + zip(c.input.dropFirst(2), c.kernel).map { $0 * $1 })

        let y = BlockTransposedConvolution.forward(x, weight: w, bias: b, chunkRows: c.chunkRows)
        let expected = try ConvolutionKernel.forward(x, weight: w, bias: b, outputShape: outShape, geometry: geometry,
                                                     transposed: true, training: true)
        #expect(y.shape == outShape && y.layout == .channelsLast)
        #expect(y.maxAbsDifference(expected) <= 1e-5 * expected.maxAbs, "forward \(c)")

        let dy = Tensor.random(outShape, seed: 4).inLayout(.channelsLast)
        let (dx, dw, db) = BlockTransposedConvolution.backward(dy, input: x, weight: w, hasBias: c.bias, needInputGradient: true,
                                                               chunkRows: c.chunkRows)
        let expectedDx = try ConvolutionKernel.backwardData(dy, weight: w, inputShape: x.shape, geometry: geometry, transposed: true)
        let (expectedDw, expectedDb) = try ConvolutionKernel.backwardWeights(dy, input: x, weightShape: weightShape, hasBias: c.bias,
                                                                             geometry: geometry, transposed: true)
        let dxValue = try #require(dx)
        #expect(dxValue.shape == x.shape)
        #expect(dxValue.maxAbsDifference(expectedDx) <= 1e-5 * expectedDx.maxAbs, "dL/dx \(c)")
        #expect(dw.shape == weightShape)
        #expect(dw.maxAbsDifference(expectedDw) <= 1e-5 * expectedDw.maxAbs, "dL/dw \(c)")
        if c.bias {
            let (got, want) = (try #require(db), try #require(expectedDb))
            #expect(got.maxAbsDifference(want) <= 1e-5 * want.maxAbs, "dL/db \(c)")
        } else {
            #expect(db == nil)
        }
        let withoutInput = BlockTransposedConvolution.backward(dy, input: x, weight: w, hasBias: c.bias, needInputGradient: false,
                                                               chunkRows: c.chunkRows)
        #expect(withoutInput.input == nil && withoutInput.weight.maxAbsDifference(dw) == 0)
    }

    /// Only kernel = stride without padding, dilation or output padding is a block scatter.
    @Test func appliesOnlyToDisjointBlocks() {
        func geometry(stride: [Int], dilation: [Int] = [1, 1], low: [Int] = [0, 0], high: [Int] = [0, 0]) -> ConvolutionGeometry {
            ConvolutionGeometry(stride: stride, dilation: dilation, paddingLow: low, paddingHigh: high)
        }
        #expect(BlockTransposedConvolution.applies(kernel: [2, 2], geometry: geometry(stride: [2, 2])))
        #expect(!BlockTransposedConvolution.applies(kernel: [3, 3], geometry: geometry(stride: [2, 2])))
        #expect(!BlockTransposedConvolution.applies(kernel: [2, 2], geometry: geometry(stride: [2, 2], dilation: [2, 2])))
        #expect(!BlockTransposedConvolution.applies(kernel: [2, 2], geometry: geometry(stride: [2, 2], low: [1, 1], high: [1, 1])))
        #expect(!BlockTransposedConvolution.applies(kernel: [2, 2], geometry: geometry(stride: [2, 2], high: [-1, -1])))  // output padding
    }
}
