import PixelwiseCore

/// Tschopp's patch prior (§4.3): draw training patches with a probability that grows with the
/// rare labels they contain, so rare classes are seen more often than their pixel frequency.
///
/// Candidate patches j are the output windows (w × h label pixels) at every top-left position
/// (x, y) ∈ [0, W − w] × [0, H − h] (on a grid of step `stride`) of every image; windows larger
/// than an image read its labels mirrored at the border, as the network input does. With
/// a_{j,i} the fraction of window j's pixels with class i (ignored pixels count for no class):
///
///   c_i   = Σ_j a_{j,i} / Σ_j Σ_k a_{j,k}          label frequency as seen by uniformly drawn
///                                                   windows: a pixel counts once per window that
///                                                   covers it (corner pixels once, centre pixels
///                                                   up to w·h times), mirrored copies included
///   r_j   = Σ_i a_{j,i} / c_i                       (Eq. 4.1) the window's weight
///   ĉ_i   = (1/Z) Σ_j r_j · a_{j,i}                 (Eq. 4.2) label frequency under the prior
///
/// Window j is drawn with probability r_j / Σ_k r_k.
public struct PatchPrior: Sendable {
    public let windowWidth: Int, windowHeight: Int, stride: Int
    public let classCount: Int
    /// c_i, coverage-weighted label frequency without the prior (sums to 1).
    public let labelFrequencies: [Double]
    /// ĉ_i, label frequency of windows drawn with the prior (sums to 1).
    public let posterior: [Double]

    /// Per image: window positions per row and per column, the cumulative weight of each row
    /// (double), and within each row the cumulative weight of its windows (float; a row is short).
    struct ImageTable: Sendable {
        var columns: Int, rows: Int
        var rowCumulative: [Double]
        var withinRow: [Float]
    }
    let tables: [ImageTable]
    let imageCumulative: [Double]

    public init(samples: [Sample], windowWidth: Int, windowHeight: Int, classCount: Int, stride: Int = 1) throws {
        guard !samples.isEmpty else { throw PixelwiseError.invalidArgument("patch prior: no samples") }
        guard windowWidth > 0, windowHeight > 0, classCount > 0, stride > 0 else {
            throw PixelwiseError.invalidArgument("patch prior: window \(windowWidth)×\(windowHeight), \(classCount) classes, stride \(stride)")
        }
        self.windowWidth = windowWidth
        self.windowHeight = windowHeight
        self.stride = stride
        self.classCount = classCount
        for s in samples {
            if let bad = s.labels.first(where: { $0 >= Int32(classCount) }) {
                throw PixelwiseError.invalidArgument("patch prior: \(s.name) has class \(bad), but only \(classCount) classes")
            }
        }

        // Pass 1: c_i = Σ_j a_{j,i}, normalised.
        var totals = [Double](repeating: 0, count: classCount)
        for s in samples {
            PatchPrior.forEachWindow(s, windowWidth, windowHeight, stride, classCount) { _, _, a in
                for i in 0..<classCount { totals[i] += a[i] }
            }
        }
        let sum = totals.reduce(0, +)
        guard sum > 0 else { throw PixelwiseError.invalidArgument("patch prior: every label is ignored") }
        let c = totals.map { $0 / sum }
        labelFrequencies = c
        let inverse = c.map { $0 > 0 ? 1 / $0 : 0 }

        // Pass 2: r_j (Eq. 4.1), the cumulative tables, and Σ_j r_j a_{j,i} for Eq. 4.2.
        var posteriorSums = [Double](repeating: 0, count: classCount)
        var tables = [ImageTable]()
        var imageCumulative = [Double]()
        var running = 0.0
        for s in samples {
            let columns = PatchPrior.positions(s.width, windowWidth, stride)
            let rows = PatchPrior.positions(s.height, windowHeight, stride)
            var table = ImageTable(columns: columns, rows: rows, rowCumulative: [], withinRow: [])
            table.withinRow.reserveCapacity(columns * rows)
            var rowSum = 0.0, imageSum = 0.0
            PatchPrior.forEachWindow(s, windowWidth, windowHeight, stride, classCount) { col, _, a in
                var r = 0.0
                for i in 0..<classCount { r += a[i] * inverse[i] }
                for i in 0..<classCount { posteriorSums[i] += r * a[i] }
                rowSum += r
                table.withinRow.append(Float(rowSum))
                if col == columns - 1 {
                    imageSum += rowSum
                    table.rowCumulative.append(imageSum)
                    rowSum = 0
                }
            }
            running += imageSum
            imageCumulative.append(running)
            tables.append(table)
        }
        let z = posteriorSums.reduce(0, +)
        posterior = posteriorSums.map { z > 0 ? $0 / z : 0 }
        self.tables = tables
        self.imageCumulative = imageCumulative
    }

    /// Number of window positions along an axis of n pixels: 0, stride, … ≤ n − w (at least one).
    static func positions(_ n: Int, _ w: Int, _ stride: Int) -> Int { max(0, n - w) / stride + 1 }

    /// Calls `body(column, row, a)` for every window of a sample in row-major order, with a the
    /// class fractions a_{j,i}, from per-class summed-area tables of the (mirror-extended) labels.
    static func forEachWindow(_ s: Sample, _ ww: Int, _ wh: Int, _ stride: Int, _ classCount: Int,
                              _ body: (Int, Int, [Double]) -> Void) {
        let w = max(s.width, ww), h = max(s.height, wh)
        let labels = s.mirroredLabels(x0: 0, y0: 0, width: w, height: h).values
        // sat[i][(y)(w+1)+x] = count of class i in [0, x) × [0, y).
        var sat = [[Int32]](repeating: [Int32](repeating: 0, count: (w + 1) * (h + 1)), count: classCount)
        for i in 0..<classCount {
            sat[i].withUnsafeMutableBufferPointer { t in
                for y in 0..<h {
                    var rowCount: Int32 = 0
                    for x in 0..<w {
                        if labels[y * w + x] == Int32(i) { rowCount += 1 }
                        t[(y + 1) * (w + 1) + x + 1] = t[y * (w + 1) + x + 1] + rowCount
                    }
                }
            }
        }
        let columns = positions(s.width, ww, stride), rows = positions(s.height, wh, stride)
        let area = Double(ww * wh)
        var a = [Double](repeating: 0, count: classCount)
        for row in 0..<rows {
            let y0 = row * stride, y1 = y0 + wh
            for col in 0..<columns {
                let x0 = col * stride, x1 = x0 + ww
                for i in 0..<classCount {
                    let t = sat[i]
                    let n = t[y1 * (w + 1) + x1] - t[y0 * (w + 1) + x1] - t[y1 * (w + 1) + x0] + t[y0 * (w + 1) + x0]
                    a[i] = Double(n) / area
                }
                body(col, row, a)
            }
        }
    }

    /// The probability of drawing the window at top-left (x, y) of image `image`
    /// (x, y multiples of `stride`).
    public func probability(image: Int, x: Int, y: Int) -> Double {
        let t = tables[image]
        let col = x / stride, row = y / stride
        let rowStart = row == 0 ? 0 : t.rowCumulative[row - 1]
        let rowTotal = t.rowCumulative[row] - rowStart
        let i = row * t.columns + col
        let before = col == 0 ? 0 : Double(t.withinRow[i - 1])
        let within = (Double(t.withinRow[i]) - before) / Double(t.withinRow[row * t.columns + t.columns - 1])
        return rowTotal * within / imageCumulative[imageCumulative.count - 1]
    }

    /// Draws a window: the image index and the top-left corner of its output window.
    public func draw(using rng: inout SeededGenerator) -> (image: Int, x: Int, y: Int) {
        let total = imageCumulative[imageCumulative.count - 1]
        let u = Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let image = PatchPrior.firstAbove(u * total, imageCumulative)
        let t = tables[image]
        let imageStart = image == 0 ? 0 : imageCumulative[image - 1]
        let v = Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0) * (imageCumulative[image] - imageStart)
        let row = PatchPrior.firstAbove(v, t.rowCumulative)
        let rowSlice = t.withinRow[row * t.columns ..< (row + 1) * t.columns]
        let target = rng.nextUniform() * rowSlice.last!
        let col = PatchPrior.firstAbove(target, rowSlice) - row * t.columns
        return (image, col * stride, row * stride)
    }

    /// Index of the first element > value in an ascending collection (the last one if none).
    static func firstAbove<C: RandomAccessCollection>(_ value: C.Element, _ c: C) -> C.Index where C.Element: Comparable {
        var lo = c.startIndex, hi = c.index(before: c.endIndex)
        while lo < hi {
            let mid = c.index(lo, offsetBy: c.distance(from: lo, to: hi) / 2)
            if c[mid] > value { hi = mid } else { lo = c.index(after: mid) }
        }
        return lo
    }
}
