import CDNNL
import PixelwiseCore

/// A transposed convolution whose kernel equals its stride — U-Net's 2×2 stride-2 up-convolution,
/// the 3-D U-Net's 2×2×2 one. Every input pixel then writes its own k_H×k_W block of the output and
/// no two blocks overlap, so the whole layer is one matrix product
///
///     Z = X · Wᵗ     X: [input pixels × C_in],  Wᵗ: [C_in × (kernel offset, C_out)]
///
/// followed by moving each row of Z, block by block, to where its pixel's block lies. The backward
/// passes are the same product's: gather dL/dy into Z's shape, then dL/dx = Z · Wᵗᵀ and
/// dL/dWᵗ = Xᵀ · Z. oneDNN runs these layers as general deconvolutions, far below its GEMM speed
/// (docs/performance.md); as SGEMMs they run at the GEMM's speed.
///
/// Activations are channels-last; weights PyTorch's (C_in, C_out, k…). Rows are processed in chunks,
/// so the only extra memory is one chunk of Z (≈ 4 MB; the forward pass shares it among the threads).
public enum BlockTransposedConvolution {
    /// Whether a transposed convolution with this kernel and geometry is a block scatter.
    public static func applies(kernel: [Int], geometry g: ConvolutionGeometry) -> Bool {
        kernel == g.stride && g.dilation.allSatisfy { $0 == 1 }
            && g.paddingLow.allSatisfy { $0 == 0 } && g.paddingHigh.allSatisfy { $0 == 0 }
    }

    /// y = x ⊛ᵀ w (+ b), channels-last in and out.
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, chunkRows: Int? = nil) -> Tensor {
        let x = x.inLayout(.channelsLast)
        let blocks = Blocks(input: x.shape, weight: weight.shape, chunkRows: chunkRows)
        let y = Tensor(uninitialized: blocks.outputShape, layout: .channelsLast)
        let gemmWeights = blocks.gemmWeights(from: weight)
        let biasValues = bias?.inLayout(.rowMajor).storageScalars
        var z = [Float](repeating: 0, count: blocks.workspaceFloats)
        x.withUnsafeBufferPointer { xp in
            z.withUnsafeMutableBufferPointer { zp in
                forward(xp.baseAddress!, blocks: blocks, gemmWeights: gemmWeights, bias: biasValues, relu: false,
                        workspace: zp.baseAddress!, into: y.storage.pointer)
            }
        }
        return y
    }

    /// The forward pass on raw channels-last memory (training's `forward` and compiled plans):
    /// y = x ⊛ᵀ w (+ b), then max(·, 0) with `relu`. `gemmWeights` in `Blocks.gemmWeights` order;
    /// `workspace` holds `blocks.workspaceFloats` floats (one chunk of Z).
    static func forward(_ x: UnsafePointer<Float>, blocks: Blocks, gemmWeights: [Float], bias: [Float]?,
                        relu: Bool, workspace z: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let (columns, cin, cout, length) = (blocks.columns, blocks.inputChannels, blocks.outputChannels, blocks.segmentLength)
        let out = UncheckedBox(y), zBase = UncheckedBox(z)
        // Each thread takes its share of the rows and carries them through product and scatter a
        // few at a time, in its own part of the workspace: Z stays in the thread's L2 between the
        // two instead of going out to memory and back (a shared 4 MB chunk did).
        let threads = max(1, min(Threads.count, blocks.rows))
        let rowsAtOnce = max(1, min(blocks.forwardRowsPerThread, blocks.chunkRows / threads))
        gemmWeights.withUnsafeBufferPointer { wp in
            let weights = UncheckedBox(wp.baseAddress!)
            parallelFor(threads) { w in
                let z = zBase.value + w * rowsAtOnce * columns
                serialProducts(threads) {
                    var first = blocks.rows * w / threads
                    let end = blocks.rows * (w + 1) / threads
                    while first < end {
                        let count = min(rowsAtOnce, end - first)
                        _ = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), Int64(count), Int64(columns), Int64(cin), 1,
                                       x + first * cin, Int64(cin), weights.value, Int64(columns), 0, z, Int64(columns))
                        for r in 0..<count {
                            let base = blocks.outputOffset(row: first + r)
                            for s in 0..<blocks.segmentsPerRow {
                                let source = z + r * columns + s * length, target = out.value + base + blocks.segmentOffsets[s]
                                switch (bias, relu) {
                                case (nil, false):
                                    target.update(from: source, count: length)
                                case (nil, true):
                                    for k in 0..<length { target[k] = max(source[k], 0) }
                                case (let b?, false):
                                    for k in stride(from: 0, to: length, by: cout) { for c in 0..<cout { target[k + c] = source[k + c] + b[c] } }
                                case (let b?, true):
                                    for k in stride(from: 0, to: length, by: cout) { for c in 0..<cout { target[k + c] = max(source[k + c] + b[c], 0) } }
                                }
                            }
                        }
                        first += count
                    }
                }
            }
        }
    }

    /// dL/dx (when asked for; channels-last), dL/dw as (C_in, C_out, k…), and dL/db.
    public static func backward(_ dy: Tensor, input x: Tensor, weight: Tensor, hasBias: Bool, needInputGradient: Bool,
                                chunkRows: Int? = nil) -> (input: Tensor?, weight: Tensor, bias: Tensor?) {
        let x = x.inLayout(.channelsLast), dy = dy.inLayout(.channelsLast)
        let blocks = Blocks(input: x.shape, weight: weight.shape, chunkRows: chunkRows)
        let (columns, cin, cout, length) = (blocks.columns, blocks.inputChannels, blocks.outputChannels, blocks.segmentLength)
        let gemmWeights = blocks.gemmWeights(from: weight)
        let dx = needInputGradient ? Tensor(uninitialized: x.shape, layout: .channelsLast) : nil
        var dGemmWeights = [Float](repeating: 0, count: cin * columns)
        var columnSums = [Float](repeating: 0, count: columns)
        let ones = [Float](repeating: 1, count: blocks.chunkRows)
        var z = [Float](repeating: 0, count: blocks.chunkRows * columns)
        x.withUnsafeBufferPointer { xp in
            dy.withUnsafeBufferPointer { dyp in
                z.withUnsafeMutableBufferPointer { zp in
                    let source = UncheckedBox(dyp.baseAddress!), zBase = UncheckedBox(zp.baseAddress!)
                    for first in stride(from: 0, to: blocks.rows, by: blocks.chunkRows) {
                        let count = min(blocks.chunkRows, blocks.rows - first)
                        // Gather each input pixel's block of dL/dy into its row of Z.
                        blocks.forEachSegment(rows: first, count: count) { zOffset, outOffset in
                            (zBase.value + zOffset).update(from: source.value + outOffset, count: length)
                        }
                        let beta: Float = first == 0 ? 0 : 1
                        // dL/dWᵗ += Xᵀ · Z
                        dGemmWeights.withUnsafeMutableBufferPointer { dw in
                            _ = dnnl_sgemm(CChar(UInt8(ascii: "T")), CChar(UInt8(ascii: "N")), Int64(cin), Int64(columns), Int64(count), 1,
                                           xp.baseAddress! + first * cin, Int64(cin), zp.baseAddress!, Int64(columns), beta,
                                           dw.baseAddress!, Int64(columns))
                        }
                        if hasBias {  // column sums of Z: 1ᵀ · Z
                            ones.withUnsafeBufferPointer { o in
                                columnSums.withUnsafeMutableBufferPointer { cs in
                                    _ = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), 1, Int64(columns), Int64(count), 1,
                                                   o.baseAddress!, Int64(count), zp.baseAddress!, Int64(columns), beta,
                                                   cs.baseAddress!, Int64(columns))
                                }
                            }
                        }
                        // dL/dx = Z · Wᵗᵀ
                        if let dx {
                            gemmWeights.withUnsafeBufferPointer { wp in
                                _ = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "T")), Int64(count), Int64(cin), Int64(columns), 1,
                                               zp.baseAddress!, Int64(columns), wp.baseAddress!, Int64(columns), 0,
                                               dx.storage.pointer + first * cin, Int64(cin))
                            }
                        }
                    }
                }
            }
        }
        let dw = blocks.weightGradient(fromGemmLayout: dGemmWeights, shape: weight.shape)
        let db: Tensor? = hasBias
            ? Tensor(shape: [cout], scalars: (0..<cout).map { co in (0..<blocks.blockCount).reduce(Float(0)) { $0 + columnSums[$1 * cout + co] } })
            : nil
        return (dx, dw, db)
    }
}

/// Where each input pixel's block lands: the index arithmetic of `BlockTransposedConvolution`.
struct Blocks {
    let batch: Int
    let inputSpatial: [Int]
    let kernel: [Int]
    let inputChannels: Int
    let outputChannels: Int
    let chunkRows: Int
    /// Output offset (in floats) of each segment — one run of k_W · C_out contiguous floats, one per
    /// kernel offset on the leading axes — relative to the block's first element.
    let segmentOffsets: [Int]
    /// Output strides (in floats) of the spatial axes and of the batch.
    private let outputStrides: [Int]
    private let outputBatchStride: Int

    init(input: Shape, weight: Shape, chunkRows: Int?) {
        batch = input[0]
        inputSpatial = input.spatial
        kernel = weight.spatial
        inputChannels = weight[0]
        outputChannels = weight[1]
        precondition(input[1] == inputChannels && kernel.count == inputSpatial.count, "input \(input) does not fit weights \(weight)")
        let outputSpatial = zip(inputSpatial, kernel).map { $0 * $1 }
        var strides = [Int](repeating: outputChannels, count: kernel.count)
        for a in stride(from: kernel.count - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * outputSpatial[a + 1] }
        outputStrides = strides
        outputBatchStride = strides[0] * outputSpatial[0]
        let leading = Array(kernel.dropLast())
        segmentOffsets = (0..<leading.reduce(1, *)).map { s in
            var rest = s, offset = 0
            for a in stride(from: leading.count - 1, through: 0, by: -1) {
                offset += rest % leading[a] * strides[a]
                rest /= leading[a]
            }
            return offset
        }
        let columns = kernel.reduce(1, *) * outputChannels
        self.chunkRows = max(1, chunkRows ?? max(64, (1 << 20) / columns))
    }

    var blockCount: Int { kernel.reduce(1, *) }
    var columns: Int { blockCount * outputChannels }
    var rows: Int { batch * inputSpatial.reduce(1, *) }
    var segmentLength: Int { kernel.last! * outputChannels }
    var segmentsPerRow: Int { segmentOffsets.count }
    var outputShape: Shape { Shape([batch, outputChannels] + zip(inputSpatial, kernel).map { $0 * $1 }) }
    /// Rows one thread carries through the forward pass's product and scatter at a time: its part of
    /// Z within 256 KB.
    var forwardRowsPerThread: Int { max(16, (1 << 16) / columns) }
    /// Floats of one chunk of Z, the forward pass's workspace (shared among the threads there).
    var workspaceFloats: Int { chunkRows * columns }

    /// Output offset of the first element of input pixel `row`'s block (rows in channels-last order).
    func outputOffset(row: Int) -> Int {
        var rest = row, offset = 0
        for a in stride(from: inputSpatial.count - 1, through: 0, by: -1) {
            offset += rest % inputSpatial[a] * kernel[a] * outputStrides[a]
            rest /= inputSpatial[a]
        }
        return offset + rest * outputBatchStride
    }

    /// Calls `body(offset in Z, offset in the output)` for every segment of the input rows
    /// first ..< first + count, Z holding those rows from its start; the rows are split among the
    /// threads. The one walk the forward scatter and the backward gather share.
    func forEachSegment(rows first: Int, count: Int, _ body: (Int, Int) -> Void) {
        parallelChunks(count, Threads.count) { range in
            for r in range {
                let base = outputOffset(row: first + r)
                for s in 0..<segmentsPerRow { body(r * columns + s * segmentLength, base + segmentOffsets[s]) }
            }
        }
    }

    /// Wᵗ [C_in][kernel offset][C_out] from PyTorch's [C_in][C_out][kernel offset].
    func gemmWeights(from weight: Tensor) -> [Float] {
        let w = weight.inLayout(.rowMajor).storageScalars, b = blockCount, cout = outputChannels
        var out = [Float](repeating: 0, count: w.count)
        for ci in 0..<inputChannels { for co in 0..<cout { for k in 0..<b { out[(ci * b + k) * cout + co] = w[(ci * cout + co) * b + k] } } }
        return out
    }

    /// The inverse reordering, for dL/dWᵗ → dL/dw.
    func weightGradient(fromGemmLayout g: [Float], shape: Shape) -> Tensor {
        let b = blockCount, cout = outputChannels
        var out = [Float](repeating: 0, count: g.count)
        for ci in 0..<inputChannels { for co in 0..<cout { for k in 0..<b { out[(ci * cout + co) * b + k] = g[(ci * b + k) * cout + co] } } }
        return Tensor(shape: shape, scalars: out)
    }
}
