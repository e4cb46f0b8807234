import CDNNL
import PixelwiseCore

/// dL/dw of a stride-1, undilated convolution as one SGEMM per kernel offset.
///
/// Lay the padded input out on its own grid (channels-last, so a pixel is a row of C_in floats) and
/// put dL/dy on the same grid: output pixel p then reads input pixel p + o_k for kernel offset k,
/// where o_k is a constant shift of the flattened grid (k_y · grid width + k_x in 2-D). Each offset's
/// gradient is one product over all pixels of the batch,
///
///     dL/dw_k [C_out × C_in] = DYᵀ · X_k      DY: [grid pixels × C_out],  X_k: X shifted by o_k rows,
///
/// with DY zero on the grid's extra columns and rows, so the rows that wrap around contribute nothing.
/// These long products (K = all pixels) run faster than oneDNN 2.6's own backward-weights kernels
/// (docs/performance.md). The grid's border is wasted work, so this runs only where
/// the grid is at most `maximumGridOverhead` larger than the output (about 40 × 40 pixels and up for a
/// 3 × 3 kernel); the rest stays on oneDNN.
public enum ShiftedWeightGradient {
    public static let maximumGridOverhead = 1.1

    /// Whether dL/dw of this convolution is computed here.
    public static func applies(input: Shape, weight: Shape, geometry g: ConvolutionGeometry, layout: Layout) -> Bool {
        guard layout == .channelsLast, input.rank == 4 || input.rank == 5, weight.rank == input.rank,
              g.stride.allSatisfy({ $0 == 1 }), g.dilation.allSatisfy({ $0 == 1 }) else { return false }
        let grid = Grid(input: input, kernel: weight.spatial, geometry: g)
        return grid.outputSpatial.allSatisfy { $0 > 0 } && grid.overhead <= maximumGridOverhead
    }

    /// dL/dw in the stored (C_out, C_in, k…) layout and dL/db, from dL/dy and the forward input x.
    public static func weightGradient(_ dy: Tensor, input x: Tensor, weightShape: Shape, hasBias: Bool,
                                      geometry g: ConvolutionGeometry) -> (weight: Tensor, bias: Tensor?) {
        let x = x.inLayout(.channelsLast), dy = dy.inLayout(.channelsLast)
        let grid = Grid(input: x.shape, kernel: weightShape.spatial, geometry: g)
        precondition(dy.shape.spatial == grid.outputSpatial, "ShiftedWeightGradient: dL/dy \(dy.shape) for input \(x.shape)")
        let (cin, cout) = (weightShape[1], weightShape[0])
        let rows = grid.productRows
        let paddedInput = grid.isUnpadded ? x.storage : grid.place(x, channels: cin, origin: grid.paddingLow)
        let gridGradient = grid.place(dy, channels: cout, origin: Array(repeating: 0, count: grid.spatialRank))
        let offsets = grid.kernelOffsets
        var products = [Float](repeating: 0, count: offsets.count * cout * cin)
        products.withUnsafeMutableBufferPointer { out in
            for (k, offset) in offsets.enumerated() {
                _ = dnnl_sgemm(CChar(UInt8(ascii: "T")), CChar(UInt8(ascii: "N")), Int64(cout), Int64(cin), Int64(rows), 1,
                               gridGradient.pointer, Int64(cout), paddedInput.pointer + offset * cin, Int64(cin), 0,
                               out.baseAddress! + k * cout * cin, Int64(cin))
            }
        }
        // (offset, C_out, C_in) → (C_out, C_in, offset)
        let dw = Tensor(uninitialized: weightShape)
        let taps = offsets.count
        products.withUnsafeBufferPointer { source in
            let from = UncheckedBox(source.baseAddress!), to = UncheckedBox(dw.storage.pointer)
            parallelFor(cout) { o in
                for k in 0..<taps {
                    for i in 0..<cin { to.value[(o * cin + i) * taps + k] = from.value[(k * cout + o) * cin + i] }
                }
            }
        }
        var db: Tensor?
        if hasBias {  // column sums of DY: 1ᵀ · DY (its zero rows add nothing)
            let bias = Tensor(uninitialized: [cout])
            let ones = [Float](repeating: 1, count: rows)
            _ = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), 1, Int64(cout), Int64(rows), 1,
                           ones, Int64(rows), gridGradient.pointer, Int64(cout), 0, bias.storage.pointer, Int64(cout))
            db = bias
        }
        return (dw, db)
    }

    /// The padded input's grid, flattened: spatial axes (D,) H, W, each its padded input size.
    struct Grid {
        let batch: Int
        let inputSpatial: [Int]
        let kernel: [Int]
        let paddingLow: [Int]
        let size: [Int]
        let outputSpatial: [Int]

        init(input: Shape, kernel: [Int], geometry g: ConvolutionGeometry) {
            let spatial = input.spatial
            let size = (0..<spatial.count).map { spatial[$0] + g.paddingLow[$0] + g.paddingHigh[$0] }
            batch = input[0]
            inputSpatial = spatial
            self.kernel = kernel
            paddingLow = g.paddingLow
            self.size = size
            outputSpatial = (0..<spatial.count).map { size[$0] - kernel[$0] + 1 }
        }

        var spatialRank: Int { size.count }
        var pixels: Int { size.reduce(1, *) }
        var isUnpadded: Bool { paddingLow.allSatisfy { $0 == 0 } && size == inputSpatial }

        /// Grid pixels per output pixel.
        var overhead: Double { Double(pixels) / Double(outputSpatial.reduce(1, *)) }

        /// Pixels between one grid position and the next along each spatial axis.
        var strides: [Int] {
            var s = Array(repeating: 1, count: spatialRank)
            for d in stride(from: spatialRank - 2, through: 0, by: -1) { s[d] = s[d + 1] * size[d + 1] }
            return s
        }

        /// The shift o_k of each kernel offset k, in (D,) H, W order with W fastest (OIHW's order).
        var kernelOffsets: [Int] {
            var offsets = [0]
            for d in 0..<spatialRank {
                offsets = offsets.flatMap { base in (0..<kernel[d]).map { base + $0 * strides[d] } }
            }
            return offsets
        }

        /// Rows of the products: up to the last output pixel of the last image, so that every
        /// shifted read (at most the largest offset further) stays inside the grid.
        var productRows: Int {
            (batch - 1) * pixels + zip(outputSpatial, strides).reduce(0) { $0 + ($1.0 - 1) * $1.1 } + 1
        }

        /// A zeroed [batch · grid pixels × channels] buffer with `t`'s pixels (channels-last) placed at
        /// `origin` of each image's grid.
        func place(_ t: Tensor, channels: Int, origin: [Int]) -> TensorStorage {
            let target = TensorStorage(count: batch * pixels * channels)
            target.pointer.initialize(repeating: 0, count: target.count)
            let extent = t.shape.spatial
            let runLength = extent[spatialRank - 1] * channels
            let runsPerImage = extent.dropLast().reduce(1, *)
            let gridStrides = strides
            let source = UncheckedBox(t.storage.pointer), destination = UncheckedBox(target.pointer)
            parallelFor(batch * runsPerImage) { run in
                let n = run / runsPerImage
                var rest = run % runsPerImage, gridPixel = n * pixels + origin[spatialRank - 1]
                for d in stride(from: spatialRank - 2, through: 0, by: -1) {
                    gridPixel += (rest % extent[d] + origin[d]) * gridStrides[d]
                    rest /= extent[d]
                }
                (destination.value + gridPixel * channels).update(from: source.value + run * runLength, count: runLength)
            }
            return target
        }
    }
}
