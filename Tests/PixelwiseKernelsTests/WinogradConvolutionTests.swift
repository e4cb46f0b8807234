import PixelwiseCore
import PixelwiseTestSupport
import Testing
@testable import PixelwiseKernels

/// Winograd F(4×4, 3×3) convolution against the plain double-precision reference.
@Suite struct WinogradConvolutionTests {
    /// Runs the kernel on NCHW `x` and returns NCHW output values.
    func winograd(_ x: [Float], shape s: [Int], weight: [Float], cout: Int, bias: [Float]?, relu: Bool, pad: Int, tile: Int = 4) -> [Float] {
        let (n, cin, h, w) = (s[0], s[1], s[2], s[3])
        let oh = h + 2 * pad - 2, ow = w + 2 * pad - 2
        var nhwc = [Float](repeating: 0, count: x.count)
        for b in 0..<n { for c in 0..<cin { for y in 0..<h { for xx in 0..<w {
            nhwc[((b * h + y) * w + xx) * cin + c] = x[((b * cin + c) * h + y) * w + xx]
        } } } }
        let kernel = WinogradConvolution(inputChannels: cin, outputChannels: cout, relu: relu, tile: tile)
        weight.withUnsafeBufferPointer { wp in
            if let bias { bias.withUnsafeBufferPointer { kernel.setWeights(wp.baseAddress!, bias: $0.baseAddress!) } } else { kernel.setWeights(wp.baseAddress!, bias: nil) }
        }
        let tiles = n * ((oh + tile - 1) / tile) * ((ow + tile - 1) / tile)
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

    /// F(2×2, 3×3) (the general transforms) and F(6×6, 3×3) (unrolled) on odd sizes with partial
    /// tiles, tiles across the image's edge and (the larger shape) tiles wholly inside it.
    /// Every tile side, on narrow and (40 channels in, 33 out) wider layers.
    @Test(arguments: [2, 4, 6], [(pad: 1, relu: false, shape: [2, 6, 15, 11]), (pad: 0, relu: true, shape: [2, 6, 15, 11]),
                                 (pad: 1, relu: true, shape: [1, 5, 31, 26]), (pad: 1, relu: true, shape: [1, 40, 19, 17]),
                                 (pad: 0, relu: false, shape: [2, 40, 11, 14])])
    func otherTileSidesMatchTheDirectConvolution(tile: Int, case c: (pad: Int, relu: Bool, shape: [Int])) throws {
        let shape = c.shape, cout = shape[1] > 32 ? 33 : 9
        let x = Tensor.random(Shape(shape), seed: 21).scalars
        let weight = Tensor.random([cout, shape[1], 3, 3], seed: 22).scalars
        let b = Tensor.random([cout], seed: 23).scalars
        var (expected, _) = ConvolutionReference.forward(x.map(Double.init), shape: shape, weight: weight.map(Double.init), weightShape: [cout, shape[1], 3, 3],
                                                         bias: b.map(Double.init), stride: [1, 1], dilation: [1, 1],
                                                         paddingLow: [c.pad, c.pad], paddingHigh: [c.pad, c.pad])
        if c.relu { expected = expected.map { max($0, 0) } }
        let y = winograd(x, shape: shape, weight: weight, cout: cout, bias: b, relu: c.relu, pad: c.pad, tile: tile)
        let range = expected.max()! - expected.min()!
        let worst = zip(y, expected).map { abs(Double($0) - $1) }.max()!
        #expect(worst <= (tile == 2 ? 2e-6 : 1e-5) * range, "F(\(tile)×\(tile)): largest difference \(worst) of range \(range)")
    }
}
