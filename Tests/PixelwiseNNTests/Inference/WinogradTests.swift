import Testing
@testable import PixelwiseNN
import PixelwiseCore
import PixelwiseKernels

/// Winograd F(4×4, 3×3) convolution against the plain double-precision reference.
@Suite struct WinogradTests {
    /// Runs the kernel on NCHW `x` and returns NCHW output values.
    func winograd(_ x: [Float], shape s: [Int], weight: [Float], cout: Int, bias: [Float]?, relu: Bool, pad: Int) -> [Float] {
        let (n, cin, h, w) = (s[0], s[1], s[2], s[3])
        let oh = h + 2 * pad - 2, ow = w + 2 * pad - 2
        var nhwc = [Float](repeating: 0, count: x.count)
        for b in 0..<n { for c in 0..<cin { for y in 0..<h { for xx in 0..<w {
            nhwc[((b * h + y) * w + xx) * cin + c] = x[((b * cin + c) * h + y) * w + xx]
        } } } }
        let kernel = WinogradConvolution(inputChannels: cin, outputChannels: cout, relu: relu)
        weight.withUnsafeBufferPointer { wp in
            if let bias { bias.withUnsafeBufferPointer { kernel.setWeights(wp.baseAddress!, bias: $0.baseAddress!) } } else { kernel.setWeights(wp.baseAddress!, bias: nil) }
        }
        let tiles = n * ((oh + 3) / 4) * ((ow + 3) / 4)
        var workspace = [Float](repeating: .nan, count: kernel.workspaceFloats(totalTiles: tiles))
        var out = [Float](repeating: .nan, count: n * oh * ow * cout)
        nhwc.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                workspace.withUnsafeMutableBufferPointer { wsp in
                    kernel.forward(xp.baseAddress!, batch: n, height: h, width: w, padTop: pad, padLeft: pad, into: yp.baseAddress!,
                                   outputHeight: oh, outputWidth: ow, workspace: wsp.baseAddress!)
                }
            }
        }
        var nchw = [Float](repeating: 0, count: out.count)
        for b in 0..<n { for c in 0..<cout { for y in 0..<oh { for xx in 0..<ow {
            nchw[((b * cout + c) * oh + y) * ow + xx] = out[((b * oh + y) * ow + xx) * cout + c]
        } } } }
        return nchw
    }

    @Test(arguments: [(pad: 1, relu: false, bias: true), (pad: 0, relu: true, bias: true), (pad: 1, relu: true, bias: false)])
    func matchesTheDirectConvolution(pad: Int, relu: Bool, bias: Bool) throws {
        // Odd sizes: partial tiles at the bottom and right, channel counts off the vector width.
        let shape = [2, 5, 13, 10], cout = 7
        let x = Tensor.random(Shape(shape), seed: 11).scalars
        let weight = Tensor.random([cout, 5, 3, 3], seed: 12).scalars
        let b: [Float]? = bias ? Tensor.random([cout], seed: 13).scalars : nil
        var (expected, _) = ConvolutionReference.forward(x.map(Double.init), shape: shape, weight: weight.map(Double.init), weightShape: [cout, 5, 3, 3],
                                                         bias: b?.map(Double.init), stride: [1, 1], dilation: [1, 1],
                                                         paddingLow: [pad, pad], paddingHigh: [pad, pad])
        if relu { expected = expected.map { max($0, 0) } }
        let y = winograd(x, shape: shape, weight: weight, cout: cout, bias: b, relu: relu, pad: pad)
        #expect(y.count == expected.count)
        let scale = expected.map { abs($0) }.max()!
        let worst = zip(y, expected).map { abs(Double($0) - $1) }.max()!
        #expect(worst <= 1e-5 * scale, "largest difference \(worst) of \(scale)")
    }

    /// A small same-padding U-Net level: the 3×3 convolutions with enough input channels (with
    /// fused BN and ReLU) run by Winograd, the others by oneDNN, and the result stays within
    /// rounding of the layer-by-layer network.
    @Test func planUsesWinogradForWide3x3ConvolutionsAndKeepsTheResult() throws {
        let g = Graph(inputChannels: 2)
        var x = try g.add("c1", Convolution(inputChannels: 2, outputChannels: 16, kernelSize: 3, padding: .same), g.input)
        x = try g.add("c1.relu", ReLU(), x)
        x = try g.add("c2", Convolution(inputChannels: 16, outputChannels: 16, kernelSize: 3, padding: .same, bias: false), x)
        x = try g.add("c2.bn", BatchNormalization(channels: 16), x)
        let skip = try g.add("c2.relu", ReLU(), x)
        x = try g.add("pool", MaxPooling(kernelSize: 2), skip)
        x = try g.add("c3", Convolution(inputChannels: 16, outputChannels: 32, kernelSize: 3, padding: .same), x)
        x = try g.add("c3.relu", ReLU(), x)
        x = try g.add("up", TransposedConvolution(inputChannels: 32, outputChannels: 16, kernelSize: 2, stride: 2), x)
        x = try g.add("merge", Concatenation(), x, skip)
        x = try g.add("c4", Convolution(inputChannels: 32, outputChannels: 16, kernelSize: 3, padding: .same), x)
        x = try g.add("c4.sigmoid", Sigmoid(), x)
        try g.add("head", Convolution(inputChannels: 16, outputChannels: 2, kernelSize: 1), x)
        g.resetParameters(seed: 21)
        let input = Tensor.random([1, 2, 30, 26], seed: 22)
        let expected = try InferencePlanTests.reference(g, input)
        let direct = try g.forward(input, mode: .inference)
        // From 16 channels (the default, 32, would leave this small network direct).
        let plan = try InferencePlan(graph: g, inputShape: input.shape, options: ExecutionOptions(winograd: true, winogradMinimumChannels: 16))
        // c1 has 2 input channels; c4 ends in a sigmoid, which the output transform does not fuse.
        #expect(plan.program.winogradStepNames == ["c2+c2.bn+c2.relu", "c3+c3.relu"])
        let y = try plan.run(input)
        let scale = max(expected.maxAbs, 1)
        #expect(y.maxAbsDifference(expected) <= 1e-5 * scale)
        #expect(y.maxAbsDifference(direct) > 0, "a different algorithm, not the same kernel")
        // Through the graph: with the default threshold nothing here is wide enough.
        g.winogradInference = true
        #expect(try g.inferencePlan(for: input.shape, precision: .float32).program.winogradStepNames.isEmpty)
    }
}
