import CDNNL
import CKernels
import PixelwiseCore

/// 3×3×3 convolution (stride 1, no dilation) by Winograd's minimal filtering on each axis,
/// F(m×m×m, 3×3×3) for m = 2 or 4: the 2-D algorithm of `WinogradConvolution` with one more axis.
///
///   Y = (Aᵀ⊗Aᵀ⊗Aᵀ) [ (G⊗G⊗G) g ⊙ (Bᵀ⊗Bᵀ⊗Bᵀ) d ]      per tile d (α³, α = m + 2), kernel g (3³), output Y (m³)
///
/// with the same Bᵀ, G, Aᵀ as in 2-D (`WinogradMatrices`), applied along z, y and x in turn. Summed
/// over input channels that is, for each of the α³ transform positions p, M_p = V_p · U_p: one SGEMM
/// [tiles × Cin] · [Cin × Cout] per position. F(2³) does 64 products per 8 outputs where direct
/// does 216 (3.4× fewer); F(4³) 216 per 64 (8× fewer), with more rounding (three axes of
/// coefficients up to 8): `AlgorithmChooser` holds each to the tolerance before picking it.
///
/// The weight gradient is the same algorithm read backwards. The convolution is the trilinear form
/// T(g, d, e) = Σ_i Σ_k e_i g_k d_{i+k} = Σ_p (A e)_p (G g)_p (Bᵀ d)_p, so
/// dL/dg = ∂T/∂g = Gᵀ [ (A e) ⊙ (Bᵀ d) ] with e = dL/dy's m³ tile: per position, S_p [Cin × Cout]
/// = V_pᵀ · E_p summed over tiles, then Gᵀ⊗Gᵀ⊗Gᵀ turns the α³ sums into the 27 kernel values.
///
/// Activations are channels-last (NDHWC), fp32. Bias and ReLU are fused into the output transform.
/// The transforms of a whole tile are in C (`pw_winograd3d_input`, `…_output`, `…_output_gradient`:
/// F(4)'s one-axis steps are the 2-D kernels' F(4×4) ones, F(2)'s and A's unrolled beside them).
public final class WinogradConvolution3D {
    public let inputChannels: Int
    public let outputChannels: Int
    public let relu: Bool
    /// m of F(m³, 3³): 2 or 4.
    public let tile: Int
    public var alpha: Int { tile + 2 }
    public var positions: Int { alpha * alpha * alpha }
    /// Gᵀ (3×α) as Float for dL/dw's last step; G (α×3) in double for the weights (the transforms'
    /// Bᵀ, Aᵀ and A are unrolled in CKernels).
    private let gt: [Float], g: [Double]
    /// U[p][ci][co].
    private var transformedWeights: [Float]
    private var bias: [Float]

    public init(inputChannels: Int, outputChannels: Int, relu: Bool, tile: Int = 2) {
        precondition(tile == 2 || tile == 4, "3-D Winograd F(m³, 3³) for m = 2 or 4")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.relu = relu
        self.tile = tile
        let matrices = WinogradMatrices(tile: tile)
        let alpha = tile + 2
        g = matrices.g
        gt = (0..<3 * alpha).map { k in Float(matrices.g[(k % alpha) * 3 + k / alpha]) }         // Gᵀ[i][j] = G[j][i]
        transformedWeights = [Float](repeating: 0, count: alpha * alpha * alpha * inputChannels * outputChannels)
        bias = [Float](repeating: 0, count: outputChannels)
    }

    public var weightBytes: Int { (transformedWeights.count + bias.count) * 4 }

    /// Whether a convolution can run here: 3×3×3 kernel, stride 1, no dilation.
    public static func applies(kernel: [Int], geometry: ConvolutionGeometry) -> Bool {
        kernel == [3, 3, 3] && geometry.stride == [1, 1, 1] && geometry.dilation == [1, 1, 1]
    }

    /// Transforms `weight` (OIDHW, [Cout, Cin, 3, 3, 3]) into U = (G⊗G⊗G) g, in double precision.
    public func setWeights(_ weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?) {
        let cin = inputChannels, cout = outputChannels, alpha = alpha
        g.withUnsafeBufferPointer { g in
            transformedWeights.withUnsafeMutableBufferPointer { u in
                let box = UncheckedBox(u.baseAddress!)
                parallelChunks(cin, Threads.count) { range in
                    var scratch = [Double](repeating: 0, count: (27 + 9 * alpha + 3 * alpha * alpha) * cout)
                    scratch.withUnsafeMutableBufferPointer { scratch in
                        pw_winograd3d_weights(weight, cin, cout, g.baseAddress!, alpha, range.lowerBound, range.upperBound, box.value,
                                              scratch.baseAddress!)
                    }
                }
            }
        }
        for co in 0..<cout { self.bias[co] = bias?[co] ?? 0 }
    }

    /// Narrow layers (Cin + Cout ≤ 64) run as a pipeline per thread: each thread transforms a few
    /// tiles, multiplies them (`pw_small_gemm`) and transforms them back while its V and M are in its
    /// own L2, instead of the shared blocks of several MB whose products are SGEMMs. There the
    /// transforms, which move α³/m³ (3.4× for F(4³), 8× for F(2³)) as much data as the layer's
    /// activations, are what costs, not the products.
    public var pipelined: Bool { inputChannels + outputChannels <= 64 }

    /// Tiles one thread carries through the pipeline at a time: its V and M (α³ · T · (Cin + Cout)
    /// floats) within 512 KB.
    var pipelineTiles: Int { max(4, min(64, (1 << 17) / (positions * (inputChannels + outputChannels)))) }

    /// Floats of workspace `forward` needs for `totalTiles` tiles: V [α³][block][Cin], M [α³][block][Cout], Cin zeros
    /// (the pipeline keeps its blocks per thread and needs only the zeros).
    public func workspaceFloats(totalTiles: Int) -> Int {
        positions * tilesPerBlock(totalTiles: totalTiles) * (inputChannels + outputChannels) + inputChannels
    }

    /// Floats of workspace `weightGradient` needs: `workspaceFloats` and the sums S [α³][Cin][Cout].
    public func weightGradientWorkspaceFloats(totalTiles: Int) -> Int {
        workspaceFloats(totalTiles: totalTiles) + positions * inputChannels * outputChannels
    }

    /// y = conv(x) (+ bias, ReLU): x [N, D, H, W, Cin] channels-last, y [N, outD, outH, outW, Cout];
    /// output voxel (oz, oy, ox) reads input voxels from (oz, oy, ox) − `padding` (zeros outside).
    public func forward(_ x: UnsafePointer<Float>, grid: TileGrid3D, into y: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) {
        if pipelined { return forwardPipelined(x, grid: grid, into: y, zeros: workspace) }
        let cin = inputChannels, cout = outputChannels
        let total = grid.count, block = tilesPerBlock(totalTiles: total)
        let v = workspace, m = workspace + positions * block * cin, zeros = m + positions * block * cout
        zeros.initialize(repeating: 0, count: cin)
        let threads = Threads.count, positions = positions, alpha = alpha, mt = tile, relu = relu
        transformedWeights.withUnsafeBufferPointer { u in
            bias.withUnsafeBufferPointer { bias in
                var first = 0
                while first < total {
                    let count = min(block, total - first)
                    // 1. Input transform: V[p][τ][ci].
                    parallelChunks(count, threads) { range in
                        var scratch = [Float](repeating: 0, count: 3 * positions * cin)
                        scratch.withUnsafeMutableBufferPointer { s in
                            for tau in range {
                                grid.transformInput(x, tile: first + tau, channels: cin, zeros: zeros,
                                                    scratch: s.baseAddress!, destination: v + tau * cin, positionStride: block * cin)
                            }
                        }
                    }
                    // 2. M_p = V_p · U_p, the α³ products shared out among the threads, each single-threaded.
                    parallelChunks(positions, threads) { ps in
                        serialProducts(threads) {
                            for p in ps {
                                _ = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), Int64(count), Int64(cout), Int64(cin), 1,
                                               v + p * block * cin, Int64(cin), u.baseAddress! + p * cin * cout, Int64(cout), 0,
                                               m + p * block * cout, Int64(cout))
                            }
                        }
                    }
                    // 3. Output transform with bias and ReLU, written where it falls inside the output.
                    parallelChunks(count, threads) { range in
                        var scratch = [Float](repeating: 0, count: (alpha * alpha * mt + alpha * mt * mt) * cout)
                        scratch.withUnsafeMutableBufferPointer { s in
                            for tau in range {
                                grid.transformOutput(m + tau * cout, positionStride: block * cout, tile: first + tau, channels: cout,
                                                     scratch: s.baseAddress!, bias: bias.baseAddress!,
                                                     relu: relu, into: y)
                            }
                        }
                    }
                    first += count
                }
            }
        }
    }

    /// `forward` for narrow layers: every thread runs its share of the tiles through input transform,
    /// products and output transform, `pipelineTiles` at a time, in its own buffers. `zeros`: Cin floats.
    private func forwardPipelined(_ x: UnsafePointer<Float>, grid: TileGrid3D, into y: UnsafeMutablePointer<Float>,
                                  zeros: UnsafeMutablePointer<Float>) {
        let cin = inputChannels, cout = outputChannels, positions = positions, alpha = alpha, mt = tile, relu = relu
        let block = pipelineTiles
        zeros.initialize(repeating: 0, count: cin)
        transformedWeights.withUnsafeBufferPointer { u in
            bias.withUnsafeBufferPointer { bias in
                parallelChunks(grid.count, Threads.count) { range in
                    let scratchFloats = max(3 * positions * cin, (alpha * alpha * mt + alpha * mt * mt) * cout)
                    var buffer = [Float](repeating: 0, count: positions * block * (cin + cout) + scratchFloats)
                    buffer.withUnsafeMutableBufferPointer { buffer in
                        let v = buffer.baseAddress!, m = v + positions * block * cin, scratch = m + positions * block * cout
                        var first = range.lowerBound
                        while first < range.upperBound {
                            let count = min(block, range.upperBound - first)
                            for tau in 0..<count {
                                grid.transformInput(x, tile: first + tau, channels: cin, zeros: zeros, scratch: scratch,
                                                    destination: v + tau * cin, positionStride: block * cin)
                            }
                            for p in 0..<positions {
                                pw_small_gemm(count, cout, cin, v + p * block * cin, cin, u.baseAddress! + p * cin * cout, cout,
                                              m + p * block * cout, cout, 0)
                            }
                            for tau in 0..<count {
                                grid.transformOutput(m + tau * cout, positionStride: block * cout, tile: first + tau, channels: cout,
                                                     scratch: scratch, bias: bias.baseAddress!, relu: relu, into: y)
                            }
                            first += count
                        }
                    }
                }
            }
        }
    }

    /// `weightGradient` for narrow layers: every thread sums S over its share of the tiles in its own
    /// [α³][Cin][Cout] (at most 885 KB here), then the sums are added. Returns them in `sums`;
    /// `zeros`: Cin zero floats.
    private func weightGradientSumsPipelined(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, grid: TileGrid3D,
                                             zeros: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>) {
        let cin = inputChannels, cout = outputChannels, positions = positions, alpha = alpha, mt = tile
        let block = pipelineTiles, threads = max(1, min(Threads.count, grid.count))
        let pairs = positions * cin * cout
        var partial = [Float](repeating: 0, count: (threads - 1) * pairs)
        partial.withUnsafeMutableBufferPointer { partial in
            let partialBase = UncheckedBox(partial.baseAddress)
            parallelFor(threads) { w in
                let range = grid.count * w / threads ..< grid.count * (w + 1) / threads
                let s = w == 0 ? sums : partialBase.value! + (w - 1) * pairs
                let scratchFloats = max(3 * positions * cin, (mt * mt * mt + alpha * mt * mt + alpha * alpha * mt) * cout)
                var buffer = [Float](repeating: 0, count: positions * block * (cin + cout) + scratchFloats)
                buffer.withUnsafeMutableBufferPointer { buffer in
                    let v = buffer.baseAddress!, e = v + positions * block * cin, scratch = e + positions * block * cout
                    var first = range.lowerBound
                    var accumulate: Int32 = 0
                    if range.isEmpty { s.update(repeating: 0, count: pairs) }
                    while first < range.upperBound {
                        let count = min(block, range.upperBound - first)
                        for tau in 0..<count {
                            grid.transformInput(x, tile: first + tau, channels: cin, zeros: zeros, scratch: scratch,
                                                destination: v + tau * cin, positionStride: block * cin)
                            grid.transformOutputGradient(dy, tile: first + tau, channels: cout, scratch: scratch,
                                                         destination: e + tau * cout, positionStride: block * cout)
                        }
                        for p in 0..<positions {
                            pw_small_gemm_tn(cin, cout, count, v + p * block * cin, cin, e + p * block * cout, cout,
                                             s + p * cin * cout, cout, accumulate)
                        }
                        accumulate = 1
                        first += count
                    }
                }
            }
            for w in 1..<threads {
                let p = partial.baseAddress! + (w - 1) * pairs
                for i in 0..<pairs { sums[i] += p[i] }
            }
        }
    }

    /// dL/dw (OIDHW, [Cout, Cin, 3, 3, 3]) of the convolution `forward` computes on `grid`, from its
    /// input x and dL/dy (both channels-last): S_p = Σ_blocks V_pᵀ · E_p, then Gᵀ⊗Gᵀ⊗Gᵀ.
    public func weightGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, grid: TileGrid3D,
                               into dw: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) {
        let cin = inputChannels, cout = outputChannels
        let total = grid.count, block = tilesPerBlock(totalTiles: total)
        let v = workspace, e = workspace + positions * block * cin, zeros = e + positions * block * cout
        let sums = zeros + cin
        zeros.initialize(repeating: 0, count: cin)
        let threads = Threads.count, positions = positions, alpha = alpha, mt = tile
        if pipelined {
            weightGradientSumsPipelined(x, dy, grid: grid, zeros: zeros, sums: sums)
        } else {
            var first = 0
            while first < total {
                let count = min(block, total - first)
                // 1. V as in `forward`; E[p][τ][co] = (A⊗A⊗A) e of dL/dy's tile.
                parallelChunks(count, threads) { range in
                    let size = max(3 * positions * cin, (mt * mt * mt + alpha * mt * mt + alpha * alpha * mt) * cout)
                    var scratch = [Float](repeating: 0, count: size)
                    scratch.withUnsafeMutableBufferPointer { s in
                        for tau in range {
                            grid.transformInput(x, tile: first + tau, channels: cin, zeros: zeros,
                                                scratch: s.baseAddress!, destination: v + tau * cin, positionStride: block * cin)
                            grid.transformOutputGradient(dy, tile: first + tau, channels: cout, scratch: s.baseAddress!,
                                                         destination: e + tau * cout, positionStride: block * cout)
                        }
                    }
                }
                // 2. S_p (+)= V_pᵀ · E_p, the products shared among the threads.
                let beta: Float = first == 0 ? 0 : 1
                parallelChunks(positions, threads) { ps in
                    serialProducts(threads) {
                        for p in ps {
                            _ = dnnl_sgemm(CChar(UInt8(ascii: "T")), CChar(UInt8(ascii: "N")), Int64(cin), Int64(cout), Int64(count), 1,
                                           v + p * block * cin, Int64(cin), e + p * block * cout, Int64(cout), beta,
                                           sums + p * cin * cout, Int64(cout))
                        }
                    }
                }
                first += count
            }
        }
        // 3. dL/dw[co][ci] = (Gᵀ⊗Gᵀ⊗Gᵀ) S[·][ci][co], input channels shared out among the threads.
        let box = UncheckedBox(dw)
        gt.withUnsafeBufferPointer { gt in
            parallelChunks(cin, threads) { range in
                var scratch = [Float](repeating: 0, count: (alpha * alpha * 3 + alpha * 9 + 27) * cout)
                scratch.withUnsafeMutableBufferPointer { s in
                    let w1 = s.baseAddress!, w2 = w1 + alpha * alpha * 3 * cout, w3 = w2 + alpha * 9 * cout
                    for ci in range {
                        let stride = cin * cout
                        for ij in 0..<alpha * alpha {  // along x: w1[i][j][c]
                            pw_matrix_vectors(gt.baseAddress!, 3, alpha, sums + (ij * alpha * cin + ci) * cout, stride,
                                              w1 + ij * 3 * cout, cout, cout)
                        }
                        for i in 0..<alpha {  // along y: w2[i][b][c]
                            for c in 0..<3 {
                                pw_matrix_vectors(gt.baseAddress!, 3, alpha, w1 + (i * alpha * 3 + c) * cout, 3 * cout,
                                                  w2 + (i * 9 + c) * cout, 3 * cout, cout)
                            }
                        }
                        for bc in 0..<9 {  // along z: w3[a][b][c]
                            pw_matrix_vectors(gt.baseAddress!, 3, alpha, w2 + bc * cout, 9 * cout, w3 + bc * cout, 9 * cout, cout)
                        }
                        for co in 0..<cout {
                            for k in 0..<27 { box.value[(co * cin + ci) * 27 + k] = w3[k * cout + co] }
                        }
                    }
                }
            }
        }
    }
}

extension WinogradConvolution3D: WinogradKernel {
    public func forward(_ x: UnsafePointer<Float>, input: Shape, output: Shape, padding: [Int], into y: UnsafeMutablePointer<Float>,
                        workspace: UnsafeMutablePointer<Float>) {
        forward(x, grid: TileGrid3D(batch: input[0], input: Array(input.dims[2...]), output: Array(output.dims[2...]), padding: padding,
                                    tile: tile), into: y, workspace: workspace)
    }

    public func weightGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, input: Shape, output: Shape, padding: [Int],
                               into dw: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) {
        weightGradient(x, dy, grid: TileGrid3D(batch: input[0], input: Array(input.dims[2...]), output: Array(output.dims[2...]),
                                               padding: padding, tile: tile), into: dw, workspace: workspace)
    }
}

/// The m³ output tiles of a batch of volumes (channels-last), and the α³ input tile each reads.
public struct TileGrid3D: Sendable {
    public let batch: Int
    /// Input and output sizes (D, H, W), and the zero padding before the first voxel on each axis.
    public let input: [Int], output: [Int], padding: [Int]
    public let tile: Int
    let tiles: [Int]

    public init(batch: Int, input: [Int], output: [Int], padding: [Int], tile: Int) {
        self.batch = batch
        self.input = input
        self.output = output
        self.padding = padding
        self.tile = tile
        tiles = output.map { ($0 + tile - 1) / tile }
    }

    public var count: Int { batch * tiles[0] * tiles[1] * tiles[2] }

    /// Volume and tile coordinates of tile `index` (numbered volume by volume, z, y, x).
    func locate(_ index: Int) -> (n: Int, tz: Int, ty: Int, tx: Int) {
        let perVolume = tiles[0] * tiles[1] * tiles[2], r = index % perVolume
        return (index / perVolume, r / (tiles[1] * tiles[2]), (r / tiles[2]) % tiles[1], r % tiles[2])
    }

    /// V[p] = (Bᵀ⊗Bᵀ⊗Bᵀ) d of tile `index` to `destination + p · positionStride`, p = (i·α + j)·α + l
    /// (CKernels' `pw_winograd3d_input`); a tile wholly inside the volume is read in place, any
    /// other gathered first (zeros outside). `scratch` holds 3α³ · c floats.
    func transformInput(_ x: UnsafePointer<Float>, tile index: Int, channels c: Int, zeros: UnsafePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, destination: UnsafeMutablePointer<Float>, positionStride: Int) {
        let (n, tz, ty, tx) = locate(index)
        let a = tile + 2
        let z0 = tile * tz - padding[0], y0 = tile * ty - padding[1], x0 = tile * tx - padding[2]
        let (d, h, w) = (input[0], input[1], input[2])
        if z0 >= 0 && z0 + a <= d && y0 >= 0 && y0 + a <= h && x0 >= 0 && x0 + a <= w {
            pw_winograd3d_input(tile, x + (((n * d + z0) * h + y0) * w + x0) * c, h * w * c, w * c, c, scratch, destination, positionStride, c)
            return
        }
        let gathered = scratch + 2 * a * a * a * c
        for k in 0..<a {
            let zz = z0 + k
            for j in 0..<a {
                let yy = y0 + j
                for l in 0..<a {
                    let xx = x0 + l
                    let inside = zz >= 0 && zz < d && yy >= 0 && yy < h && xx >= 0 && xx < w
                    (gathered + ((k * a + j) * a + l) * c).update(from: inside ? x + (((n * d + zz) * h + yy) * w + xx) * c : zeros, count: c)
                }
            }
        }
        pw_winograd3d_input(tile, gathered, a * a * c, a * c, c, scratch, destination, positionStride, c)
    }

    /// Y = (Aᵀ⊗Aᵀ⊗Aᵀ) M of tile `index` (M[p] at `m + p · positionStride`), + bias, ReLU, written to
    /// the voxels of y it covers inside the output (`pw_winograd3d_output`); `scratch` holds (α²m + αm²) · c floats.
    func transformOutput(_ m: UnsafePointer<Float>, positionStride: Int, tile index: Int, channels c: Int,
                         scratch: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, relu: Bool, into y: UnsafeMutablePointer<Float>) {
        let (n, tz, ty, tx) = locate(index)
        let (od, oh, ow) = (output[0], output[1], output[2])
        let dst = y + (((n * od + tile * tz) * oh + tile * ty) * ow + tile * tx) * c
        pw_winograd3d_output(tile, m, positionStride, scratch, dst, oh * ow * c, ow * c, c,
                             min(tile, od - tile * tz), min(tile, oh - tile * ty), min(tile, ow - tile * tx), bias, relu ? 1 : 0, c)
    }

    /// E[p] = (A⊗A⊗A) e of dL/dy's m³ tile `index` (zeros outside the output) to
    /// `destination + p · positionStride` (`pw_winograd3d_output_gradient`); `scratch` holds
    /// (m³ + αm² + α²m) · c floats.
    func transformOutputGradient(_ dy: UnsafePointer<Float>, tile index: Int, channels c: Int,
                                 scratch: UnsafeMutablePointer<Float>, destination: UnsafeMutablePointer<Float>, positionStride: Int) {
        let (n, tz, ty, tx) = locate(index)
        let mt = tile
        let (od, oh, ow) = (output[0], output[1], output[2])
        let e = scratch
        for z in 0..<mt {
            for yv in 0..<mt {
                for xv in 0..<mt {
                    let zz = mt * tz + z, yy = mt * ty + yv, xx = mt * tx + xv
                    let target = e + ((z * mt + yv) * mt + xv) * c
                    if zz < od && yy < oh && xx < ow {
                        target.update(from: dy + (((n * od + zz) * oh + yy) * ow + xx) * c, count: c)
                    } else {
                        target.update(repeating: 0, count: c)
                    }
                }
            }
        }
        pw_winograd3d_output_gradient(tile, e, e + mt * mt * mt * c, destination, positionStride, c)
    }
}
