import PixelwiseCore
import PixelwiseTestSupport
import Testing
@testable import PixelwiseKernels

/// 3-D Winograd F(2³, 3³) and F(4³, 3³) against the plain double-precision references: the
/// forward pass (bias, ReLU), dL/dx (the forward pass on dL/dy with the kernel turned, by
/// `WinogradTraining`) and dL/dw (the algorithm read backwards), on odd sizes with partial tiles,
/// tiles across the volume's edge and tiles wholly inside it.
@Suite struct WinogradConvolution3DTests {
    static func toChannelsLast(_ v: [Float], _ s: [Int]) -> [Float] {
        let (n, c, inner) = (s[0], s[1], s[2] * s[3] * s[4])
        var out = [Float](repeating: 0, count: v.count)
        for b in 0..<n { for ch in 0..<c { for i in 0..<inner { out[(b * inner + i) * c + ch] = v[(b * c + ch) * inner + i] } } }
        return out
    }

    static func toChannelsFirst(_ v: [Float], _ s: [Int]) -> [Float] {
        let (n, c, inner) = (s[0], s[1], s[2] * s[3] * s[4])
        var out = [Float](repeating: 0, count: v.count)
        for b in 0..<n { for ch in 0..<c { for i in 0..<inner { out[(b * c + ch) * inner + i] = v[(b * inner + i) * c + ch] } } }
        return out
    }

    static func outputShape(_ s: [Int], cout: Int, pad: Int) -> [Int] { [s[0], cout] + s[2...].map { $0 + 2 * pad - 2 } }

    /// The largest difference as a fraction of the reference's range.
    static func relativeError(_ y: [Float], _ expected: [Double]) -> Double {
        let range = expected.max()! - expected.min()!
        return zip(y, expected).map { abs(Double($0) - $1) }.max()! / range
    }

    static let cases: [(pad: Int, relu: Bool, shape: [Int])] = [
        (1, false, [2, 5, 7, 6, 9]),     // every tile crosses an edge or ends past it
        (0, true, [1, 6, 9, 8, 11]),
        (1, true, [1, 4, 14, 13, 15]),   // tiles wholly inside too (F(2): 4³ inputs; F(4): 6³)
    ]

    /// Narrow layers (Cin + Cout ≤ 64) run as a pipeline per thread, wider ones in shared blocks of
    /// SGEMMs: the cases above are narrow, these wide.
    static let wideCases: [(pad: Int, relu: Bool, shape: [Int])] = [(1, true, [1, 40, 9, 7, 10]), (0, false, [1, 40, 8, 9, 7])]

    @Test(arguments: [2, 4], cases + wideCases)
    func forwardMatchesTheDirectConvolution(tile: Int, case c: (pad: Int, relu: Bool, shape: [Int])) throws {
        let s = c.shape, cout = c.shape[1] > 32 ? 33 : 7
        let x = Tensor.random(Shape(s), seed: 31).scalars
        let weight = Tensor.random([cout, s[1], 3, 3, 3], seed: 32).scalars
        let bias = Tensor.random([cout], seed: 33).scalars
        var (expected, outShape) = ConvolutionReference.forward(x.map(Double.init), shape: s, weight: weight.map(Double.init),
                                                                weightShape: [cout, s[1], 3, 3, 3], bias: bias.map(Double.init),
                                                                stride: [1, 1, 1], dilation: [1, 1, 1],
                                                                paddingLow: [c.pad, c.pad, c.pad], paddingHigh: [c.pad, c.pad, c.pad])
        if c.relu { expected = expected.map { max($0, 0) } }
        #expect(outShape == Self.outputShape(s, cout: cout, pad: c.pad))

        let kernel = WinogradConvolution3D(inputChannels: s[1], outputChannels: cout, relu: c.relu, tile: tile)
        #expect(kernel.pipelined == (s[1] + cout <= 64))
        kernel.setWeights(Tensor(shape: [cout, s[1], 3, 3, 3], scalars: weight), bias: Tensor(shape: [cout], scalars: bias))
        let grid = TileGrid3D(batch: s[0], input: Array(s[2...]), output: Array(outShape[2...]), padding: [c.pad, c.pad, c.pad], tile: tile)
        var workspace = [Float](repeating: .nan, count: kernel.workspaceFloats(totalTiles: grid.count))
        var y = [Float](repeating: .nan, count: outShape.reduce(1, *))
        let xl = Self.toChannelsLast(x, s)
        xl.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                workspace.withUnsafeMutableBufferPointer { kernel.forward(xp.baseAddress!, grid: grid, into: yp.baseAddress!, workspace: $0.baseAddress!) }
            }
        }
        let error = Self.relativeError(Self.toChannelsFirst(y, outShape), expected)
        #expect(error <= (tile == 2 ? 2e-6 : 2e-5), "F(\(tile)³): largest difference \(error) of the range")
    }

    @Test(arguments: [2, 4], cases + wideCases)
    func gradientsMatchTheirDefinitions(tile: Int, case c: (pad: Int, relu: Bool, shape: [Int])) throws {
        let s = c.shape, cout = c.shape[1] > 32 ? 33 : 6, cin = s[1]
        let wShape = [cout, cin, 3, 3, 3]
        let geometry = ConvolutionGeometry(stride: [1, 1, 1], dilation: [1, 1, 1], paddingLow: [c.pad, c.pad, c.pad],
                                           paddingHigh: [c.pad, c.pad, c.pad])
        let x = Tensor.random(Shape(s), seed: 41), weight = Tensor.random(Shape(wShape), seed: 42)
        let outShape = Self.outputShape(s, cout: cout, pad: c.pad)
        let dy = Tensor.random(Shape(outShape), seed: 43)

        // dL/dw, dL/db from the definition.
        let (dwExpected, dbExpected) = ConvolutionReference.weightGradient(dy.scalars.map(Double.init), outputShape: outShape,
                                                                           input: x.scalars.map(Double.init), shape: s, weightShape: wShape,
                                                                           stride: [1, 1, 1], dilation: [1, 1, 1], paddingLow: [c.pad, c.pad, c.pad])
        let (dw, db) = WinogradTraining.backwardWeights(dy.inLayout(.channelsLast), input: x.inLayout(.channelsLast), weightShape: Shape(wShape),
                                                        hasBias: true, geometry: geometry, tile: tile)
        let dwError = Self.relativeError(dw.inLayout(.rowMajor).scalars, dwExpected)
        #expect(dwError <= (tile == 2 ? 1e-5 : 1e-4), "F(\(tile)³) dL/dw: largest difference \(dwError) of the range")
        #expect(Self.relativeError(db!.scalars, dbExpected) <= 1e-5)

        // dL/dx[n, i, p] = Σ_o Σ_k dL/dy[n, o, p − k + pad] · w[o, i, k], from the definition.
        var dxExpected = [Double](repeating: 0, count: s.reduce(1, *))
        let (w, g) = (weight.scalars, dy.scalars)
        let (d, h, wd) = (s[2], s[3], s[4]), (od, oh, ow) = (outShape[2], outShape[3], outShape[4])
        for n in 0..<s[0] { for o in 0..<cout { for z in 0..<od { for yy in 0..<oh { for xx in 0..<ow {
            let gv = Double(g[(((n * cout + o) * od + z) * oh + yy) * ow + xx])
            for i in 0..<cin { for kz in 0..<3 { for ky in 0..<3 { for kx in 0..<3 {
                let iz = z + kz - c.pad, iy = yy + ky - c.pad, ix = xx + kx - c.pad
                guard iz >= 0 && iz < d && iy >= 0 && iy < h && ix >= 0 && ix < wd else { continue }
                dxExpected[(((n * cin + i) * d + iz) * h + iy) * wd + ix] += gv * Double(w[(((o * cin + i) * 3 + kz) * 3 + ky) * 3 + kx])
            } } } }
        } } } } }
        let dx = WinogradTraining.backwardData(dy.inLayout(.channelsLast), weight: weight, inputShape: Shape(s), geometry: geometry, tile: tile)
        let dxError = Self.relativeError(dx.inLayout(.rowMajor).scalars, dxExpected)
        #expect(dxError <= (tile == 2 ? 2e-6 : 2e-5), "F(\(tile)³) dL/dx: largest difference \(dxError) of the range")
    }

    /// The chooser offers both tile sides for every pass of a 3×3×3 stride-1 convolution, and
    /// nothing of Winograd for a strided one.
    @Test func chooserOffersThreeDimensionalWinograd() {
        let same = ConvolutionGeometry(stride: [1, 1, 1], dilation: [1, 1, 1], paddingLow: [1, 1, 1], paddingHigh: [1, 1, 1])
        let strided = ConvolutionGeometry(stride: [2, 2, 2], dilation: [1, 1, 1], paddingLow: [1, 1, 1], paddingHigh: [1, 1, 1])
        for pass in [ConvolutionProblem.Pass.forward, .backwardData, .backwardWeights] {
            let p = ConvolutionProblem(stage: .training, pass: pass, input: [1, 16, 16, 16, 16], weight: [16, 16, 3, 3, 3], geometry: same,
                                       transposed: false, layout: .channelsLast)
            #expect(AlgorithmChooser.candidates(for: p, options: ExecutionOptions()) == [.direct, .winograd2, .winograd], "\(pass)")
            let q = ConvolutionProblem(stage: .training, pass: pass, input: [1, 16, 16, 16, 16], weight: [16, 16, 3, 3, 3], geometry: strided,
                                       transposed: false, layout: .channelsLast)
            #expect(!AlgorithmChooser.candidates(for: q, options: ExecutionOptions()).contains { $0.winogradTile != nil }, "\(pass)")
        }
    }
}
