import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore
import PixelwiseKernels

struct TransposedConvolutionCase: CustomStringConvertible, Sendable {
    var input: [Int]
    var outputChannels: Int
    var kernel: [Int]
    var stride: [Int]
    var dilation: [Int]
    var padding: [Int]
    var outputPadding: [Int]
    var bias = true

    var description: String { "\(input) → \(outputChannels) k\(kernel) s\(stride) d\(dilation) p\(padding) op\(outputPadding)" }

    static let all: [TransposedConvolutionCase] = [
        .init(input: [2, 3, 5, 7], outputChannels: 5, kernel: [2, 2], stride: [2, 2], dilation: [1, 1], padding: [0, 0], outputPadding: [0, 0]),
        .init(input: [1, 17, 4, 5], outputChannels: 3, kernel: [3, 3], stride: [2, 2], dilation: [1, 1], padding: [1, 1], outputPadding: [1, 1]),
        .init(input: [2, 5, 6, 5], outputChannels: 17, kernel: [3, 3], stride: [1, 1], dilation: [2, 2], padding: [1, 2], outputPadding: [0, 0]),
        .init(input: [3, 2, 5, 4], outputChannels: 4, kernel: [3, 2], stride: [3, 2], dilation: [2, 1], padding: [2, 0], outputPadding: [1, 1],
              bias: false),
        .init(input: [2, 3, 3, 4, 5], outputChannels: 5, kernel: [2, 2, 2], stride: [2, 2, 2], dilation: [1, 1, 1], padding: [0, 0, 0],
              outputPadding: [0, 0, 0]),
        .init(input: [1, 5, 3, 4, 3], outputChannels: 3, kernel: [3, 3, 2], stride: [2, 1, 2], dilation: [1, 2, 1], padding: [1, 1, 0],
              outputPadding: [1, 0, 1]),
    ]
}

@Suite struct TransposedConvolutionTests {
    /// MagmaDNN's check (seed 001, "Transposed Convolution in MagmaDNN" vs Keras' Conv2DTranspose):
    /// a 1×1 filter of value 1 with stride 2 and output padding 1 spreads [[1,2],[3,4]] onto a 4×4 grid.
    @Test(arguments: [Layout.rowMajor, .channelsLast])
    func magmaDNNCheck(_ layout: Layout) throws {
        let up = try TransposedConvolution(inputChannels: 1, outputChannels: 1, kernelSize: 1, stride: 2, outputPadding: 1, bias: false)
        up.weight.value = Tensor(shape: [1, 1, 1, 1], scalars: [1])
        let y = try up.forward([tensor([1, 1, 2, 2], [1, 2, 3, 4], layout)], mode: .inference)
        #expect(y.shape == [1, 1, 4, 4])
        #expect(y.scalars == [1, 0, 2, 0,
                              0, 0, 0, 0,
                              3, 0, 4, 0,
                              0, 0, 0, 0])
    }

    @Test(arguments: TransposedConvolutionCase.all, [Layout.rowMajor, .channelsLast])
    func forwardAndGradients(_ c: TransposedConvolutionCase, layout: Layout) throws {
        let layer = try TransposedConvolution(TransposedConvolution.Configuration(
            inputChannels: c.input[1], outputChannels: c.outputChannels, kernelSize: c.kernel, stride: c.stride,
            dilation: c.dilation, padding: c.padding, outputPadding: c.outputPadding, bias: c.bias))
        var data = TestData(seed: 31)
        layer.weight.value = tensor(layer.weight.shape.dims, data.uniform(layer.weight.shape.count, in: -0.5...0.5))
        layer.bias?.value = tensor([c.outputChannels], data.uniform(c.outputChannels))
        let x = data.uniform(c.input.reduce(1, *))
        let weightShape = layer.weight.shape.dims
        let check = LayerCheck(inputs: [(c.input, x)], parameters: layer.parameters.map(\.parameter), layout: layout, seed: 32)
        let y = try check.run(layer, "transposed conv \(c) \(layout)") { ins, ps in
            TransposedConvolutionReference.forward(ins[0], shape: c.input, weight: ps[0], weightShape: weightShape,
                                                   bias: c.bias ? ps[1] : nil, stride: c.stride, dilation: c.dilation,
                                                   padding: c.padding, outputPadding: c.outputPadding).values
        }
        let spatial = Array(c.input.dropFirst(2))
        let expected = spatial.indices.map {
            TransposedConvolutionReference.outputSize(spatial[$0], kernel: c.kernel[$0], stride: c.stride[$0], dilation: c.dilation[$0],
                                                      padding: c.padding[$0], outputPadding: c.outputPadding[$0])
        }
        #expect(y.shape.spatial == expected)
    }

    /// The transposed convolution is the adjoint of the convolution with the same weights:
    /// ⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩ for every x, y (both without bias).
    @Test func isAdjointOfConvolution() throws {
        let conv = try Convolution(inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 2, padding: .explicit(low: [1, 1], high: [1, 1]),
                                   bias: false)
        let up = try TransposedConvolution(inputChannels: 4, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1, bias: false)
        var data = TestData(seed: 41)
        conv.weight.value = tensor([4, 3, 3, 3], data.uniform(108))
        up.weight.value = conv.weight.value  // (C_out of conv, C_in of conv) = (C_in, C_out) of the transposed one
        let x = tensor([2, 3, 9, 9], data.uniform(2 * 3 * 81), .channelsLast)
        let cx = try conv.forward([x], mode: .inference)
        #expect(cx.shape == [2, 4, 5, 5])
        let y = tensor([2, 4, 5, 5], data.uniform(2 * 4 * 25), .channelsLast)
        let ty = try up.forward([y], mode: .inference)
        #expect(ty.shape == [2, 3, 9, 9])
        let lhs = dot(cx.scalars, y.scalars), rhs = dot(x.scalars, ty.scalars)
        #expect(abs(lhs - rhs) <= 1e-4 * max(abs(lhs), 1))
    }

    /// Kernel = stride up-convolutions take the GEMM-and-scatter kernel (BlockTransposedConvolution,
    /// tested in PixelwiseKernelsTests) in fp32 training, not in bf16.
    @Test func blockScatterOnlyInFloat32() throws {
        let up = try TransposedConvolution(inputChannels: 4, outputChannels: 2, kernelSize: 2, stride: 2)
        #expect(up.algorithm(input: [1, 4, 8, 8], mode: .training, options: ExecutionOptions(algorithms: .rules)) == .blockScatter)
        #expect(up.algorithm(input: [1, 4, 8, 8], mode: .training, options: ExecutionOptions(precision: .bfloat16)) == .direct)
    }
}
