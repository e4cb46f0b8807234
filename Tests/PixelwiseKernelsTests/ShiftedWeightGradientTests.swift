import PixelwiseCore
import PixelwiseTestSupport
import Testing
@testable import PixelwiseKernels

/// dL/dw by one GEMM per kernel offset against the double-precision definition.
@Suite struct ShiftedWeightGradientTests {
    struct Case: CustomStringConvertible, Sendable {
        var input: [Int]
        var outputChannels: Int
        var kernel: [Int]
        var paddingLow: [Int]
        var paddingHigh: [Int]
        var bias: Bool
        var description: String { "\(input) → \(outputChannels) k\(kernel) p\(paddingLow)\(paddingHigh) bias \(bias)" }
    }

    static let cases: [Case] = [
        .init(input: [2, 5, 44, 41], outputChannels: 6, kernel: [3, 3], paddingLow: [1, 1], paddingHigh: [1, 1], bias: true),  // same
        .init(input: [1, 4, 50, 47], outputChannels: 3, kernel: [3, 3], paddingLow: [0, 0], paddingHigh: [0, 0], bias: false),  // valid: x used in place
        .init(input: [2, 3, 46, 45], outputChannels: 4, kernel: [3, 3], paddingLow: [1, 0], paddingHigh: [1, 2], bias: true),  // asymmetric
        .init(input: [1, 2, 90, 88], outputChannels: 3, kernel: [5, 5], paddingLow: [2, 2], paddingHigh: [2, 2], bias: true),
        .init(input: [3, 6, 7, 9], outputChannels: 2, kernel: [1, 1], paddingLow: [0, 0], paddingHigh: [0, 0], bias: true),  // classifier
        .init(input: [2, 3, 4, 44, 43], outputChannels: 4, kernel: [1, 3, 3], paddingLow: [0, 1, 1], paddingHigh: [0, 1, 1], bias: true),
    ]

    @Test(arguments: cases)
    func matchesTheDefinition(_ c: Case) throws {
        let (cin, cout) = (c.input[1], c.outputChannels)
        let weightShape = Shape([cout, cin] + c.kernel)
        let ones = c.kernel.map { _ in 1 }
        let geometry = ConvolutionGeometry(stride: ones, dilation: ones, paddingLow: c.paddingLow, paddingHigh: c.paddingHigh)
        #expect(ShiftedWeightGradient.applies(input: Shape(c.input), weight: weightShape, geometry: geometry, layout: .channelsLast))
        let outSpatial: [Int] = (0..<c.kernel.count).map { (d: Int) -> Int in
            let padded: Int = c.input[2 + d] + c.paddingLow[d] + c.paddingHigh[d]
            return padded - c.kernel[d] + 1
        }
        let outShape = Shape([c.input[0], cout] + outSpatial)
        let x = Tensor.random(Shape(c.input), seed: 1), dy = Tensor.random(outShape, seed: 2)
        // Through the kernel entry point, so the test also shows that training takes this path.
        let (dw, db) = try ConvolutionKernel.backwardWeights(dy.inLayout(.channelsLast), input: x.inLayout(.channelsLast),
                                                             weightShape: weightShape, hasBias: c.bias, geometry: geometry, transposed: false)
        let expected = ConvolutionReference.weightGradient(dy.scalars.map(Double.init), outputShape: outShape.dims,
                                                           input: x.scalars.map(Double.init), shape: c.input, weightShape: weightShape.dims,
                                                           stride: ones, dilation: ones, paddingLow: c.paddingLow)
        let scale = expected.weight.map { abs($0) }.max()!
        #expect(dw.shape == weightShape)
        #expect(zip(dw.scalars, expected.weight).map { abs(Double($0) - $1) }.max()! <= 1e-5 * scale, "dL/dw \(c)")
        if c.bias {
            let b = try #require(db)
            let bScale = expected.bias.map { abs($0) }.max()!
            #expect(zip(b.scalars, expected.bias).map { abs(Double($0) - $1) }.max()! <= 1e-5 * bScale, "dL/db \(c)")
        } else {
            #expect(db == nil)
        }
    }

    /// Strided, dilated, NCHW and small (grid border > 10 % of the work) convolutions stay on oneDNN.
    @Test func appliesOnlyWhereItPays() {
        let w = Shape([8, 8, 3, 3])
        func geometry(stride: Int = 1, dilation: Int = 1, padding: Int = 1) -> ConvolutionGeometry {
            ConvolutionGeometry(stride: [stride, stride], dilation: [dilation, dilation], paddingLow: [padding, padding],
                                paddingHigh: [padding, padding])
        }
        #expect(ShiftedWeightGradient.applies(input: [4, 8, 64, 64], weight: w, geometry: geometry(), layout: .channelsLast))
        #expect(!ShiftedWeightGradient.applies(input: [4, 8, 64, 64], weight: w, geometry: geometry(), layout: .rowMajor))
        #expect(!ShiftedWeightGradient.applies(input: [4, 8, 64, 64], weight: w, geometry: geometry(stride: 2), layout: .channelsLast))
        #expect(!ShiftedWeightGradient.applies(input: [4, 8, 64, 64], weight: w, geometry: geometry(dilation: 2, padding: 2), layout: .channelsLast))
        #expect(!ShiftedWeightGradient.applies(input: [4, 8, 16, 16], weight: w, geometry: geometry(), layout: .channelsLast))  // 18²/16² = 1.27
    }
}
