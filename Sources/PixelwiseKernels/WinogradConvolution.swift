import CDNNL
import CKernels
import PixelwiseCore

/// 3×3 convolution (stride 1, no dilation) for inference by Winograd's minimal filtering
/// F(4×4, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
///
/// Why: on CPUs without AVX-512 oneDNN 2.6 has no Winograd kernel, and its direct convolution
/// is what PyTorch runs too. F(4×4, 3×3) computes a 4×4 output tile from a 6×6 input tile with
/// 36 multiplications per input/output channel pair instead of 144, so the work that dominates a
/// wide layer, a matrix product per tile position, shrinks 4×:
///
///   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A      per tile d (6×6), kernel g (3×3), output Y (4×4),
///
/// and summed over input channels that is, for each of the 36 positions p of the 6×6 transform,
/// M_p = V_p · U_p with V_p [tiles × Cin] (transformed inputs), U_p [Cin × Cout] (transformed
/// weights, computed once by `setWeights`); one SGEMM each, on oneDNN. The input and output
/// transforms are a few additions per value over channel vectors (channels-last data), in C
/// (`CKernels`, vectorised for the CPU it runs on).
/// The price is rounding: transforms with coefficients up to 8 lose a few bits, so results agree
/// with direct convolution to about 1e-5 of the output's range (tests check it), which is why the
/// algorithm chooser holds it to a tolerance before picking it (`AlgorithmChooser`).
///
/// The same with other tile sides (`tile`): F(2×2, 3×3) (4×4 transform, 16 products per channel
/// pair instead of 36, 2.25× fewer multiplications than direct, the smallest rounding error) and
/// F(6×6, 3×3) (8×8 transform, 64 products for 36 outputs: 5.1× fewer, with transform coefficients
/// up to 32 and 21/4 that cost more bits; `AlgorithmChooser`'s tolerance check decides where it is
/// good enough). F(2×2)'s transforms are the general matrix form (`WinogradMatrices.combine`);
/// F(4×4) and F(6×6) have unrolled ones (sums and differences of paired rows, each channel vector
/// read once per pass). The backward-weights pass exists for F(4×4) only.
///
/// Activations are channels-last (NHWC), fp32. Bias and ReLU are fused into the output transform.
public final class WinogradConvolution {
    public let inputChannels: Int
    public let outputChannels: Int
    public let relu: Bool
    /// m of F(m×m, 3×3): 2, 4 or 6.
    public let tile: Int
    /// The transform's side, m + 2, and its positions (α²).
    public var alpha: Int { tile + 2 }
    public var positions: Int { alpha * alpha }
    let matrices: WinogradMatrices
    /// U[p][ci][co], p = α·i + j over the α×α transform.
    private var transformedWeights: [Float]
    private var bias: [Float]

    public init(inputChannels: Int, outputChannels: Int, relu: Bool, tile: Int = 4) {
        precondition([2, 4, 6].contains(tile), "Winograd F(m×m, 3×3) for m = 2, 4 or 6")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.relu = relu
        self.tile = tile
        matrices = WinogradMatrices(tile: tile)
        transformedWeights = [Float](repeating: 0, count: (tile + 2) * (tile + 2) * inputChannels * outputChannels)
        bias = [Float](repeating: 0, count: outputChannels)
    }

    /// Bytes of the transformed weights and bias (what a plan keeps).
    public var weightBytes: Int { (transformedWeights.count + bias.count) * 4 }

    /// Whether a convolution can run here: 3×3 kernel, stride 1, no dilation, 2-D.
    public static func applies(kernel: [Int], geometry: ConvolutionGeometry) -> Bool {
        kernel == [3, 3] && geometry.stride == [1, 1] && geometry.dilation == [1, 1]
    }

    /// Transforms `weight` (OIHW, [Cout, Cin, 3, 3]) into U = G g Gᵀ, in double precision.
    public func setWeights(_ weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?) {
        // U[i][j] = Σ_a Σ_b G[i][a] g[a][b] G[j][b], input channels shared out among the threads.
        let cin = inputChannels, cout = outputChannels, a = alpha
        matrices.g.withUnsafeBufferPointer { g in
            transformedWeights.withUnsafeMutableBufferPointer { u in
                let box = UncheckedBox(u.baseAddress!)
                parallelChunks(cin, Threads.count) { range in
                    var scratch = [Double](repeating: 0, count: (9 + 3 * a) * cout)
                    scratch.withUnsafeMutableBufferPointer { scratch in
                        pw_winograd_weights(weight, cin, cout, g.baseAddress!, a, range.lowerBound, range.upperBound, box.value,
                                            scratch.baseAddress!)
                    }
                }
            }
        }
        for co in 0..<cout { self.bias[co] = bias?[co] ?? 0 }
    }

    /// The workspace of a block of `block` tiles: transformed inputs V [α²][block][Cin], the
    /// per-position products (or transformed dL/dy) [α²][block][Cout], then Cin zeros (the input
    /// outside the image); `workspaceFloats` counts exactly these.
    private func regions(of workspace: UnsafeMutablePointer<Float>, block: Int)
        -> (inputs: UnsafeMutablePointer<Float>, products: UnsafeMutablePointer<Float>, zeros: UnsafeMutablePointer<Float>) {
        (workspace, workspace + positions * block * inputChannels, workspace + positions * block * (inputChannels + outputChannels))
    }

    /// Floats of workspace `forward` needs for a batch with `totalTiles` tiles (of this kernel's `tile`).
    public func workspaceFloats(totalTiles: Int) -> Int {
        let t = tilesPerBlock(totalTiles: totalTiles)
        return positions * t * (inputChannels + outputChannels) + inputChannels
    }

    /// y = conv(x) (+ bias, ReLU): x [N, H, W, Cin] channels-last, y [N, outH, outW, Cout], where
    /// output pixel (oy, ox) reads input rows oy − padTop … oy − padTop + 2 (zeros outside).
    public func forward(_ x: UnsafePointer<Float>, batch n: Int, height h: Int, width w: Int, padTop: Int, padLeft: Int,
                        into y: UnsafeMutablePointer<Float>, outputHeight oh: Int, outputWidth ow: Int,
                        workspace: UnsafeMutablePointer<Float>) {
        let cin = inputChannels, cout = outputChannels
        let grid = TileGrid(batch: n, height: h, width: w, outputHeight: oh, outputWidth: ow, padTop: padTop, padLeft: padLeft, tile: tile)
        let total = grid.count
        let block = tilesPerBlock(totalTiles: total)
        let (v, m, zeros) = regions(of: workspace, block: block)
        zeros.initialize(repeating: 0, count: cin)
        let threads = Threads.count
        let positions = positions, a = alpha, mt = tile, matrices = matrices, relu = relu
        transformedWeights.withUnsafeBufferPointer { u in
            bias.withUnsafeBufferPointer { bias in
                var first = 0
                while first < total {
                    let count = min(block, total - first)
                    // 1. Input transform, tile by tile: V[p][τ][ci] = (Bᵀ d B)[p].
                    parallelChunks(count, threads) { range in
                        var scratch = [Float](repeating: 0, count: 2 * positions * cin)
                        scratch.withUnsafeMutableBufferPointer { t in
                            for tau in range {
                                grid.transformInput(x, tile: first + tau, channels: cin, zeros: zeros, matrices: matrices, scratch: t.baseAddress!,
                                                    destination: v + tau * cin, positionStride: block * cin)
                            }
                        }
                    }
                    // 2. One product per transform position: M_p [count × Cout] = V_p [count × Cin] · U_p [Cin × Cout].
                    // The α² products are shared out among the threads, each run single-threaded:
                    // one fork and join per block instead of one per product.
                    parallelChunks(positions, threads) { positions in
                        serialProducts(threads) {
                            for p in positions {
                                _ = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), Int64(count), Int64(cout), Int64(cin), 1,
                                               v + p * block * cin, Int64(cin), u.baseAddress! + p * cin * cout, Int64(cout), 0,
                                               m + p * block * cout, Int64(cout))
                            }
                        }
                    }
                    // 3. Output transform, bias, ReLU: Y = Aᵀ M A, written where it falls inside the output.
                    parallelChunks(count, threads) { range in
                        var scratch = [Float](repeating: 0, count: (a * mt + mt * mt) * cout)
                        scratch.withUnsafeMutableBufferPointer { s in
                            for tau in range {
                                grid.transformOutputTile(m + tau * cout, positionStride: block * cout, tile: first + tau, channels: cout,
                                                         matrices: matrices, scratch: s.baseAddress!, bias: bias.baseAddress!, relu: relu, into: y)
                            }
                        }
                    }
                    first += count
                }
            }
        }
    }

    /// Floats of workspace `weightGradient` needs for a batch with `totalTiles` tiles.
    public func weightGradientWorkspaceFloats(totalTiles: Int) -> Int {
        workspaceFloats(totalTiles: totalTiles) + 36 * inputChannels * outputChannels
    }

    /// dL/dw (OIHW, [Cout, Cin, 3, 3]) of the convolution `forward` computes, from its input x
    /// (channels-last) and dL/dy (channels-last, [N, outH, outW, Cout]), by F(3×3, 4×4): each
    /// 4×4 tile of dL/dy is the "kernel" e correlated with the 6×6 input tile d, so
    /// dL/dw = A'ᵀ [Σ_tiles (G' e G'ᵀ) ⊙ (Bᵀ d B)] A' with the forward pass's Bᵀ, G' (6×4) and
    /// A'ᵀ (3×6) for the same interpolation points; summed over tiles that is, per transform
    /// position p, S_p [Cin × Cout] = V_pᵀ · E_p, one SGEMM per block of tiles.
    public func weightGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, batch n: Int, height h: Int, width w: Int,
                               padTop: Int, padLeft: Int, outputHeight oh: Int, outputWidth ow: Int,
                               into dw: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) {
        precondition(tile == 4, "the Winograd weight gradient is F(3×3, 4×4)")
        let cin = inputChannels, cout = outputChannels
        let grid = TileGrid(batch: n, height: h, width: w, outputHeight: oh, outputWidth: ow, padTop: padTop, padLeft: padLeft)
        let total = grid.count
        let block = tilesPerBlock(totalTiles: total)
        let (v, e, zeros) = regions(of: workspace, block: block)
        let sums = zeros + cin
        zeros.initialize(repeating: 0, count: cin)
        let threads = Threads.count
        var first = 0
        while first < total {
            let count = min(block, total - first)
            // 1. Input tiles as in `forward`, and dL/dy tiles: E[p][τ][co] = (G' e G'ᵀ)[p].
            parallelChunks(count, threads) { range in
                var scratch = [Float](repeating: 0, count: 42 * max(cin, cout) + 5 * cout)
                scratch.withUnsafeMutableBufferPointer { t in
                    let tp = t.baseAddress!, zeroRow = tp + 42 * max(cin, cout), column = zeroRow + cout
                    zeroRow.initialize(repeating: 0, count: cout)
                    for tau in range {
                        grid.transformInputTileUnrolled(x, tile: first + tau, channels: cin, zeros: zeros, scratch: tp,
                                                        destination: v + tau * cin, positionStride: block * cin)
                        let (image, ty, tx) = grid.locate(first + tau)
                        // dL/dy tile (4×4, zeros outside the output): columns, then rows, through G'.
                        let inside = 4 * ty + 4 <= oh && 4 * tx + 4 <= ow
                        for b in 0..<4 {  // t[i][b] = Σ_a G'[i][a] e[a][b]
                            let xx = 4 * tx + b
                            if inside {
                                pw_winograd4_kernel_gradient(dy + ((image * oh + 4 * ty) * ow + xx) * cout, ow * cout, tp + b * cout, 4 * cout, cout)
                            } else {
                                for r in 0..<4 {
                                    let yy = 4 * ty + r
                                    let src = yy < oh && xx < ow ? dy + ((image * oh + yy) * ow + xx) * cout : UnsafePointer(zeroRow)
                                    (column + r * cout).update(from: src, count: cout)
                                }
                                pw_winograd4_kernel_gradient(column, cout, tp + b * cout, 4 * cout, cout)
                            }
                        }
                        for i in 0..<6 {  // E[i][j] = Σ_b t[i][b] G'[j][b]
                            pw_winograd4_kernel_gradient(tp + i * 4 * cout, cout, e + ((i * 6) * block + tau) * cout, block * cout, cout)
                        }
                    }
                }
            }
            // 2. S_p += V_pᵀ · E_p, the 36 products shared among the threads, each single-threaded.
            let beta: Float = first == 0 ? 0 : 1
            parallelChunks(36, threads) { positions in
                serialProducts(threads) {
                    for p in positions {
                        _ = dnnl_sgemm(CChar(UInt8(ascii: "T")), CChar(UInt8(ascii: "N")), Int64(cin), Int64(cout), Int64(count), 1,
                                       v + p * block * cin, Int64(cin), e + p * block * cout, Int64(cout), beta,
                                       sums + p * cin * cout, Int64(cout))
                    }
                }
            }
            first += count
        }
        // 3. dL/dw = A'ᵀ S A' for every channel pair, input channels shared out among the threads.
        let box = UncheckedBox(dw)
        parallelChunks(cin, threads) { range in
            var scratch = [Float](repeating: 0, count: 9 * cout)
            scratch.withUnsafeMutableBufferPointer { scratch in
                pw_winograd4_weight_gradient_output(sums, cin, cout, range.lowerBound, range.upperBound, box.value, scratch.baseAddress!)
            }
        }
    }
}

extension WinogradConvolution: WinogradKernel {
    public func forward(_ x: UnsafePointer<Float>, input: Shape, output: Shape, padding: [Int], into y: UnsafeMutablePointer<Float>,
                        workspace: UnsafeMutablePointer<Float>) {
        forward(x, batch: input[0], height: input[2], width: input[3], padTop: padding[0], padLeft: padding[1], into: y,
                outputHeight: output[2], outputWidth: output[3], workspace: workspace)
    }

    public func weightGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, input: Shape, output: Shape, padding: [Int],
                               into dw: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) {
        weightGradient(x, dy, batch: input[0], height: input[2], width: input[3], padTop: padding[0], padLeft: padding[1],
                       outputHeight: output[2], outputWidth: output[3], into: dw, workspace: workspace)
    }
}

/// What plans, training and the algorithm catalog need of a Winograd convolution, 2-D
/// (`WinogradConvolution`) or 3-D (`WinogradConvolution3D`): one plan step, one training path and one
/// trial serve both. Activations channels-last; `input`/`output` the [N, C, spatial…] shapes,
/// `padding` the zeros before the first pixel on each spatial axis.
public protocol WinogradKernel: AnyObject {
    var inputChannels: Int { get }
    var outputChannels: Int { get }
    /// m of F(m×m, 3×3) or F(m³, 3³).
    var tile: Int { get }
    /// The transform's positions, α² or α³.
    var positions: Int { get }
    /// Bytes of the transformed weights and bias (what a plan keeps).
    var weightBytes: Int { get }
    /// Transforms `weight` (OIHW or OIDHW) and keeps `bias` (zeros when nil).
    func setWeights(_ weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?)
    /// Floats of workspace `forward` needs for `totalTiles` tiles.
    func workspaceFloats(totalTiles: Int) -> Int
    /// Floats of workspace `weightGradient` needs for `totalTiles` tiles.
    func weightGradientWorkspaceFloats(totalTiles: Int) -> Int
    /// y = conv(x) (+ bias, ReLU).
    func forward(_ x: UnsafePointer<Float>, input: Shape, output: Shape, padding: [Int], into y: UnsafeMutablePointer<Float>,
                 workspace: UnsafeMutablePointer<Float>)
    /// dL/dw (OIHW or OIDHW) from the forward pass's input x and dL/dy.
    func weightGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, input: Shape, output: Shape, padding: [Int],
                        into dw: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>)
}

extension WinogradKernel {
    /// `setWeights` from tensors (any layout).
    public func setWeights(_ weight: Tensor, bias: Tensor?) {
        let w = weight.inLayout(.rowMajor), b = bias?.inLayout(.rowMajor)
        w.withUnsafeBufferPointer { wp in
            if let b { b.withUnsafeBufferPointer { setWeights(wp.baseAddress!, bias: $0.baseAddress!) } } else { setWeights(wp.baseAddress!, bias: nil) }
        }
    }

    /// Tiles transformed together in shared blocks: enough to keep the SGEMMs efficient, few enough
    /// that one block's transformed inputs and products (positions · T · (Cin + Cout) floats) stay
    /// near the caches.
    public func tilesPerBlock(totalTiles: Int) -> Int {
        let budget = 3 << 20  // floats
        return max(8, min(totalTiles, budget / (positions * (inputChannels + outputChannels))))
    }
}

/// The Winograd kernel for a 3×3 (OIHW) or 3×3×3 (OIDHW) weight shape.
func makeWinogradKernel(weightShape: Shape, relu: Bool, tile: Int) -> any WinogradKernel {
    let (cin, cout) = (weightShape[1], weightShape[0])
    return weightShape.rank == 5
        ? WinogradConvolution3D(inputChannels: cin, outputChannels: cout, relu: relu, tile: tile)
        : WinogradConvolution(inputChannels: cin, outputChannels: cout, relu: relu, tile: tile)
}

/// Runs `body`, whose oneDNN SGEMMs are one thread's share of a parallel loop, with oneDNN
/// single-threaded (when `threads` > 1), then gives the calling thread back the thread count:
/// one fork and join for many products instead of one per product.
@inline(__always)
func serialProducts(_ threads: Int, _ body: () -> Void) {
    guard threads > 1 else { return body() }
    let count = Threads.count
    pw_omp_set_num_threads(1)
    body()
    pw_omp_set_num_threads(Int32(count))
}

/// The m×m output tiles of a batch (m = `tile`, 4 unless said), and the (m+2)×(m+2) input tile each reads.
struct TileGrid {
    let batch: Int, height: Int, width: Int, outputHeight: Int, outputWidth: Int, padTop: Int, padLeft: Int
    var tile = 4
    var tilesX: Int { (outputWidth + tile - 1) / tile }
    var tilesPerImage: Int { ((outputHeight + tile - 1) / tile) * tilesX }
    var count: Int { batch * tilesPerImage }

    /// The number of m×m tiles covering an [N, C, H, W] map (m×m×m for [N, C, D, H, W]): what sizes
    /// workspaces and decides whether training uses Winograd at all.
    static func tiles(covering shape: Shape, tile: Int = 4) -> Int {
        (2..<shape.rank).reduce(shape[0]) { $0 * ((shape[$1] + tile - 1) / tile) }
    }

    /// Writes V[p] = (Bᵀ d B)[p] of tile `tile`'s input d to `destination + p · positionStride`, for
    /// any tile side, with the general transform (`WinogradMatrices`); `scratch` holds 2α² · channels floats.
    @inline(__always)
    func transformInputTile(_ x: UnsafePointer<Float>, tile index: Int, channels c: Int, zeros: UnsafePointer<Float>,
                            matrices: WinogradMatrices, scratch: UnsafeMutablePointer<Float>,
                            destination: UnsafeMutablePointer<Float>, positionStride: Int) {
        let (image, ty, tx) = locate(index)
        let a = tile + 2
        let y0 = tile * ty - padTop, x0 = tile * tx - padLeft
        // d[k][j] gathered (zeros outside the image), then t[i][j] = Σ_k Bᵀ[i][k] d[k][j] per column j.
        let d = scratch, t = scratch + a * a * c
        for k in 0..<a {
            for j in 0..<a {
                let yy = y0 + k, xx = x0 + j
                let src = yy >= 0 && yy < height && xx >= 0 && xx < width ? x + ((image * height + yy) * width + xx) * c : zeros
                (d + (k * a + j) * c).update(from: src, count: c)
            }
        }
        for j in 0..<a {
            WinogradMatrices.combine(matrices.bt, rows: a, columns: a, UnsafePointer(d + j * c), stride: a * c, into: t + j * c, stride: a * c, c)
        }
        // V[i][j] = Σ_k Bᵀ[j][k] t[i][k] per row i.
        for i in 0..<a {
            WinogradMatrices.combine(matrices.bt, rows: a, columns: a, UnsafePointer(t + i * a * c), stride: c,
                                     into: destination + i * a * positionStride, stride: positionStride, c)
        }
    }

    /// V[p] = (Bᵀ d B)[p] of tile `index` by the unrolled transforms (F(4×4), F(6×6)) or the general
    /// ones (F(2×2)); `scratch` holds 2α² · channels + α · channels floats.
    @inline(__always)
    func transformInput(_ x: UnsafePointer<Float>, tile index: Int, channels c: Int, zeros: UnsafePointer<Float>, matrices: WinogradMatrices,
                        scratch: UnsafeMutablePointer<Float>, destination: UnsafeMutablePointer<Float>, positionStride: Int) {
        if tile == 4 || tile == 6 {
            transformInputTileUnrolled(x, tile: index, channels: c, zeros: zeros, scratch: scratch, destination: destination,
                                       positionStride: positionStride)
        } else {
            transformInputTile(x, tile: index, channels: c, zeros: zeros, matrices: matrices, scratch: scratch, destination: destination,
                               positionStride: positionStride)
        }
    }

    /// Y = Aᵀ M A of tile `index` (M[p] at `m + p · positionStride`), + bias, ReLU, written to the
    /// pixels of y it covers inside the output. F(4×4) and F(6×6): the rows of M through Aᵀ into
    /// `scratch` (α × m), then its columns through Aᵀ straight into the output with bias and ReLU, the
    /// rows past the output's bottom left out (CKernels); F(2×2): the general matrix form. `scratch`
    /// holds (αm + m²) · channels floats.
    @inline(__always)
    func transformOutputTile(_ m: UnsafePointer<Float>, positionStride: Int, tile index: Int, channels cout: Int,
                             matrices: WinogradMatrices, scratch: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, relu: Bool,
                             into y: UnsafeMutablePointer<Float>) {
        let (image, ty, tx) = locate(index)
        let a = tile + 2, mt = tile, oh = outputHeight, ow = outputWidth
        if mt == 4 || mt == 6 {
            let outputTransform = mt == 4 ? pw_winograd4_output : pw_winograd6_output
            for i in 0..<a {
                outputTransform(m + (i * a) * positionStride, positionStride, scratch + i * mt * cout, cout, mt, nil, 0, cout)
            }
            let rows = min(mt, oh - mt * ty)
            for j in 0..<mt {
                let xx = mt * tx + j
                guard xx < ow else { continue }
                let dst = y + ((image * oh + mt * ty) * ow + xx) * cout
                outputTransform(scratch + j * cout, mt * cout, dst, ow * cout, rows, bias, relu ? 1 : 0, cout)
            }
            return
        }
        // Rows: S[i][j'] = Σ_j Aᵀ[j'][j] M[i][j]; columns: R[i'][j'] = Σ_i Aᵀ[i'][i] S[i][j'].
        let rows = scratch, result = scratch + a * mt * cout
        for i in 0..<a {
            WinogradMatrices.combine(matrices.at, rows: mt, columns: a, m + (i * a) * positionStride, stride: positionStride,
                                     into: rows + i * mt * cout, stride: cout, cout)
        }
        for j in 0..<mt {
            WinogradMatrices.combine(matrices.at, rows: mt, columns: a, UnsafePointer(rows + j * cout), stride: mt * cout,
                                     into: result + j * cout, stride: mt * cout, cout)
        }
        for i in 0..<mt {
            let yy = mt * ty + i
            guard yy < oh else { continue }
            for j in 0..<mt {
                let xx = mt * tx + j
                guard xx < ow else { continue }
                let dst = y + ((image * oh + yy) * ow + xx) * cout, src = result + (i * mt + j) * cout
                if relu {
                    for c in 0..<cout { dst[c] = max(src[c] + bias[c], 0) }
                } else {
                    for c in 0..<cout { dst[c] = src[c] + bias[c] }
                }
            }
        }
    }

    /// Image and tile row and column of tile `tile` (numbered image by image, row by row).
    func locate(_ tile: Int) -> (image: Int, ty: Int, tx: Int) {
        (tile / tilesPerImage, (tile % tilesPerImage) / tilesX, tile % tilesX)
    }

    /// Writes V[p] = (Bᵀ d B)[p] of tile `index`'s input d (channel vectors of x, channels-last;
    /// `zeros` outside the image) to `destination + p · positionStride`, p = α·i + j, for F(4×4)
    /// and F(6×6) with CKernels' vectorised transforms: the tile's columns through Bᵀ into `scratch`
    /// (α² · channels floats, plus α · channels for a column gathered across the image's edge),
    /// then its rows. A tile wholly inside the image is read in place.
    @inline(__always)
    func transformInputTileUnrolled(_ x: UnsafePointer<Float>, tile index: Int, channels c: Int, zeros: UnsafePointer<Float>,
                                    scratch t: UnsafeMutablePointer<Float>, destination: UnsafeMutablePointer<Float>, positionStride: Int) {
        let (image, ty, tx) = locate(index)
        let a = tile + 2
        let y0 = tile * ty - padTop, x0 = tile * tx - padLeft
        let inside = y0 >= 0 && y0 + a <= height && x0 >= 0 && x0 + a <= width
        let inputTransform = tile == 4 ? pw_winograd4_input : pw_winograd6_input
        func transform(_ source: UnsafePointer<Float>, _ sourceStride: Int, _ target: UnsafeMutablePointer<Float>, _ targetStride: Int) {
            inputTransform(source, sourceStride, target, targetStride, c)
        }
        for j in 0..<a {
            let xx = x0 + j
            if inside {
                // Column j: rows y0 … y0 + α − 1, one image row apart.
                transform(x + ((image * height + y0) * width + xx) * c, width * c, t + j * c, a * c)
            } else {
                let column = t + a * a * c
                for k in 0..<a {
                    let yy = y0 + k
                    let src = yy >= 0 && yy < height && xx >= 0 && xx < width ? x + ((image * height + yy) * width + xx) * c : zeros
                    (column + k * c).update(from: src, count: c)
                }
                transform(column, c, t + j * c, a * c)
            }
        }
        for i in 0..<a {
            transform(t + i * a * c, c, destination + i * a * positionStride, positionStride)
        }
    }
}

/// Runs `body` on `threads` contiguous ranges of 0..<count at once (each range once).
func parallelChunks(_ count: Int, _ threads: Int, _ body: (Range<Int>) -> Void) {
    let workers = max(1, min(threads, count))
    parallelFor(workers) { w in body(count * w / workers ..< count * (w + 1) / workers) }
}

/// Winograd F(m×m, 3×3)'s matrices for m = 2, 4, 6 (Lavin & Gray 2016; interpolation points 0, ±1,
/// ±2, ±½ and ∞ as far as needed): Bᵀ (α×α), G (α×3, row-major) and Aᵀ (m×α), α = m + 2.
struct WinogradMatrices: Sendable {
    let tile: Int
    /// Row-major Float copies of Bᵀ and Aᵀ for the transforms; G in double for the weights.
    let bt: [Float], at: [Float], g: [Double]

    init(tile: Int) {
        self.tile = tile
        let (bt, g, at): ([Double], [Double], [Double])
        switch tile {
        case 2:
            bt = [1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1]
            g = [1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1]
            at = [1, 1, 1, 0, 0, 1, -1, -1]
        case 6:
            bt = [1, 0, -21.0 / 4, 0, 21.0 / 4, 0, -1, 0,
                  0, 1, 1, -17.0 / 4, -17.0 / 4, 1, 1, 0,
                  0, -1, 1, 17.0 / 4, -17.0 / 4, -1, 1, 0,
                  0, 0.5, 0.25, -2.5, -1.25, 2, 1, 0,
                  0, -0.5, 0.25, 2.5, -1.25, -2, 1, 0,
                  0, 2, 4, -2.5, -5, 0.5, 1, 0,
                  0, -2, 4, 2.5, -5, -0.5, 1, 0,
                  0, -1, 0, 21.0 / 4, 0, -21.0 / 4, 0, 1]
            g = [1, 0, 0,
                 -2.0 / 9, -2.0 / 9, -2.0 / 9,
                 -2.0 / 9, 2.0 / 9, -2.0 / 9,
                 1.0 / 90, 1.0 / 45, 2.0 / 45,
                 1.0 / 90, -1.0 / 45, 2.0 / 45,
                 32.0 / 45, 16.0 / 45, 8.0 / 45,
                 32.0 / 45, -16.0 / 45, 8.0 / 45,
                 0, 0, 1]
            at = [1, 1, 1, 1, 1, 1, 1, 0,
                  0, 1, -1, 2, -2, 0.5, -0.5, 0,
                  0, 1, 1, 4, 4, 0.25, 0.25, 0,
                  0, 1, -1, 8, -8, 0.125, -0.125, 0,
                  0, 1, 1, 16, 16, 1.0 / 16, 1.0 / 16, 0,
                  0, 1, -1, 32, -32, 1.0 / 32, -1.0 / 32, 1]
        default:  // 4: what CKernels' pw_winograd4_input and pw_winograd4_output unroll (and pw_winograd6_… for 6)
            bt = [4, 0, -5, 0, 1, 0,
                  0, -4, -4, 1, 1, 0,
                  0, 4, -4, -1, 1, 0,
                  0, -2, -1, 2, 1, 0,
                  0, 2, -1, -2, 1, 0,
                  0, 4, 0, -5, 0, 1]
            g = [0.25, 0, 0, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
                 1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 24, -1.0 / 12, 1.0 / 6, 0, 0, 1]
            at = [1, 1, 1, 1, 1, 0,
                  0, 1, -1, 2, -2, 0,
                  0, 1, 1, 4, 4, 0,
                  0, 1, -1, 8, -8, 1]
        }
        self.bt = bt.map { Float($0) }
        self.at = at.map { Float($0) }
        self.g = g
    }

    /// y_i = Σ_k M[i][k] x_k for i < rows, over vectors of n floats: x_k at x + k · xStride, y_i at
    /// y + i · yStride; M row-major with `columns` columns, its zeros skipped.
    @inline(__always)
    static func combine(_ m: [Float], rows: Int, columns: Int, _ x: UnsafePointer<Float>, stride xStride: Int,
                        into y: UnsafeMutablePointer<Float>, stride yStride: Int, _ n: Int) {
        m.withUnsafeBufferPointer { mp in
            for i in 0..<rows {
                let out = y + i * yStride
                var first = true
                for k in 0..<columns {
                    let c = mp[i * columns + k]
                    if c == 0 { continue }
                    let src = x + k * xStride
                    if first {
                        for j in 0..<n { out[j] = c * src[j] }
                        first = false
                    } else {
                        for j in 0..<n { out[j] += c * src[j] }
                    }
                }
                if first { out.update(repeating: 0, count: n) }
            }
        }
    }
}
