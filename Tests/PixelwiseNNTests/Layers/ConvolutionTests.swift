import Testing
@testable import PixelwiseNN
import PixelwiseTestSupport
import PixelwiseCore
import PixelwiseKernels

/// One convolution configuration to test: odd sizes, channel counts that are not multiples of
/// oneDNN's 16-wide blocks, strides, kernel strides (dilation) and all three paddings.
struct ConvolutionCase: CustomStringConvertible, Sendable {
    var input: [Int]
    var outputChannels: Int
    var kernel: [Int]
    var stride: [Int]
    var dilation: [Int]
    var padding: Padding
    var bias = true

    var description: String { "\(input) → \(outputChannels) k\(kernel) s\(stride) d\(dilation) \(padding)\(bias ? "" : " no bias")" }

    /// (low, high) padding per spatial axis, computed the reference's way.
    var paddingAmounts: (low: [Int], high: [Int]) {
        let spatial = Array(input.dropFirst(2))
        switch padding {
        case .valid: return (kernel.map { _ in 0 }, kernel.map { _ in 0 })
        case .explicit(let low, let high): return (low, high)
        case .same:
            let p = spatial.indices.map {
                ConvolutionReference.samePadding(spatial[$0], kernel: kernel[$0], stride: stride[$0], dilation: dilation[$0])
            }
            return (p.map(\.low), p.map(\.high))
        }
    }

    static let all: [ConvolutionCase] = [
        .init(input: [2, 3, 9, 11], outputChannels: 5, kernel: [3, 3], stride: [1, 1], dilation: [1, 1], padding: .valid),
        .init(input: [1, 17, 13, 10], outputChannels: 3, kernel: [3, 3], stride: [2, 2], dilation: [1, 1], padding: .same),
        .init(input: [2, 5, 12, 15], outputChannels: 17, kernel: [3, 3], stride: [1, 1], dilation: [2, 2], padding: .same),
        .init(input: [3, 2, 11, 9], outputChannels: 4, kernel: [3, 2], stride: [2, 3], dilation: [2, 1],
              padding: .explicit(low: [1, 0], high: [2, 1])),
        .init(input: [1, 3, 20, 19], outputChannels: 2, kernel: [5, 5], stride: [3, 3], dilation: [3, 3], padding: .valid),
        .init(input: [2, 16, 7, 7], outputChannels: 16, kernel: [1, 1], stride: [1, 1], dilation: [1, 1], padding: .valid, bias: false),
        .init(input: [2, 3, 5, 6, 7], outputChannels: 5, kernel: [3, 3, 3], stride: [1, 1, 1], dilation: [1, 1, 1], padding: .same),
        .init(input: [1, 5, 7, 8, 6], outputChannels: 3, kernel: [3, 3, 2], stride: [2, 1, 2], dilation: [1, 2, 1],
              padding: .explicit(low: [1, 0, 1], high: [0, 2, 1])),
    ]
}

@Suite struct ConvolutionTests {
    static func makeLayer(_ c: ConvolutionCase, seed: UInt64) throws -> Convolution {
        let layer = try Convolution(Convolution.Configuration(
            inputChannels: c.input[1], outputChannels: c.outputChannels, kernelSize: c.kernel, stride: c.stride,
            dilation: c.dilation, padding: c.padding, bias: c.bias))
        var data = TestData(seed: seed)
        layer.weight.value = tensor(layer.weight.shape.dims, data.uniform(layer.weight.shape.count, in: -0.5...0.5))
        layer.bias?.value = tensor([c.outputChannels], data.uniform(c.outputChannels))
        return layer
    }

    static func reference(_ c: ConvolutionCase, _ layer: Convolution) -> ([[Double]], [[Double]]) -> [Double] {
        let (low, high) = c.paddingAmounts
        return { ins, ps in
            ConvolutionReference.forward(ins[0], shape: c.input, weight: ps[0], weightShape: layer.weight.shape.dims,
                                         bias: c.bias ? ps[1] : nil, stride: c.stride, dilation: c.dilation,
                                         paddingLow: low, paddingHigh: high).values
        }
    }

    @Test(arguments: ConvolutionCase.all, [Layout.rowMajor, .channelsLast])
    func forwardAndGradients(_ c: ConvolutionCase, layout: Layout) throws {
        let layer = try Self.makeLayer(c, seed: 11)
        var data = TestData(seed: 12)
        let x = data.uniform(c.input.reduce(1, *))
        let check = LayerCheck(inputs: [(c.input, x)], parameters: layer.parameters.map(\.parameter), layout: layout, seed: 13)
        try check.run(layer, "conv \(c) \(layout)", reference: Self.reference(c, layer))
    }

    @Test func samePaddingKeepsSizeAtStrideOne() throws {
        let layer = try Convolution(inputChannels: 2, outputChannels: 3, kernelSize: 4, dilation: 3, padding: .same)
        #expect(try layer.outputShape(for: [[1, 2, 13, 8]]) == [1, 3, 13, 8])
        let strided = try Convolution(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: .same)
        #expect(try strided.outputShape(for: [[1, 2, 13, 8]]) == [1, 3, 7, 4])
    }

    @Test func inferenceMatchesTraining() throws {
        let c = ConvolutionCase.all[2]
        let layer = try Self.makeLayer(c, seed: 3)
        var data = TestData(seed: 4)
        let x = tensor(c.input, data.uniform(c.input.reduce(1, *)), .channelsLast)
        expectClose(try layer.forward([x], mode: .inference).scalars, try layer.forward([x], mode: .training).scalars, tolerance: 1e-6)
    }

    /// Tschopp's SK property: a convolution with kernel stride (dilation) 2 evaluated at the output
    /// pixels of one parity class (2i + a, 2j + b) equals the dense convolution of the sub-sampled
    /// input x[a::2, b::2]. This is what lets an SK-Net reproduce a sliding-window net exactly.
    @Test(arguments: [Layout.rowMajor, .channelsLast])
    func dilatedEqualsDenseOnSubsampledInput(_ layout: Layout) throws {
        let (n, cin, cout, h, w, k) = (2, 3, 5, 14, 13, 3)
        let dilated = try Convolution(inputChannels: cin, outputChannels: cout, kernelSize: k, dilation: 2)
        let dense = try Convolution(inputChannels: cin, outputChannels: cout, kernelSize: k)
        var data = TestData(seed: 21)
        dilated.weight.value = tensor([cout, cin, k, k], data.uniform(cout * cin * k * k))
        dilated.bias!.value = tensor([cout], data.uniform(cout))
        dense.weight.value = dilated.weight.value
        dense.bias!.value = dilated.bias!.value
        let x = data.uniform(n * cin * h * w)
        let y = try dilated.forward([tensor([n, cin, h, w], x, layout)], mode: .inference)
        let oh = y.shape[2], ow = y.shape[3]  // h − 4, w − 4
        #expect((oh, ow) == (h - 2 * (k - 1), w - 2 * (k - 1)))
        let ys = y.scalars
        for a in 0..<2 { for b in 0..<2 {
            let sh = (h - a + 1) / 2, sw = (w - b + 1) / 2
            var sub = [Float]()
            for bn in 0..<n { for c in 0..<cin { for i in 0..<sh { for j in 0..<sw {
                sub.append(x[((bn * cin + c) * h + a + 2 * i) * w + b + 2 * j])
            } } } }
            let z = try dense.forward([tensor([n, cin, sh, sw], sub, layout)], mode: .inference)
            let zh = z.shape[2], zw = z.shape[3]
            var picked = [Float](), expected = [Float]()
            for bn in 0..<n { for c in 0..<cout { for i in 0..<zh { for j in 0..<zw where a + 2 * i < oh && b + 2 * j < ow {
                picked.append(ys[((bn * cout + c) * oh + a + 2 * i) * ow + b + 2 * j])
                expected.append(z.scalars[((bn * cout + c) * zh + i) * zw + j])
            } } } }
            #expect(picked.count == n * cout * ((oh - a + 1) / 2) * ((ow - b + 1) / 2))
            expectClose(picked, expected, tolerance: 1e-5, "parity (\(a), \(b))")
        } }
    }

    @Test func rejectsBadArguments() {
        #expect(throws: PixelwiseError.self) { try Convolution(inputChannels: 0, outputChannels: 1, kernelSize: 3) }
        #expect(throws: PixelwiseError.self) {
            try Convolution(Convolution.Configuration(inputChannels: 1, outputChannels: 1, kernelSize: [3], stride: [1], dilation: [1]))
        }
        let layer = try? Convolution(inputChannels: 3, outputChannels: 1, kernelSize: 5)
        #expect(throws: PixelwiseError.self) { try layer?.outputShape(for: [[1, 3, 4, 4]]) }
        #expect(throws: PixelwiseError.self) { try layer?.outputShape(for: [[1, 2, 9, 9]]) }
    }
}
