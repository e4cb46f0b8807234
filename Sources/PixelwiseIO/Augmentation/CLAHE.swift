/// Contrast-limited adaptive histogram equalisation (Zuiderveld 1994), as the Caffe Neural Tool
/// applied it through OpenCV (Tschopp §4.2).
///
/// The plane is cut into a `tilesX` × `tilesY` grid. Each tile's intensity histogram (`bins`
/// bins over `range`) is clipped at `clipLimit` × (tile pixels / bins); the clipped-off count is
/// spread over the bins still below the limit, repeatedly, so that no bin ends above the limit
/// (this caps the slope of the mapping, i.e. the contrast gain, at `clipLimit`). The tile's
/// mapping is the normalised cumulative histogram, evaluated at bin centres. A pixel's output is
/// the bilinear interpolation of the mappings of the four tiles whose centres surround it (one or
/// two at the borders), which removes the tile seams.
public struct CLAHE: Sendable, Equatable {
    public var tilesX: Int
    public var tilesY: Int
    /// Maximum bin height as a multiple of the mean bin height; ≥ 1 (1 = no equalisation).
    public var clipLimit: Float
    public var bins: Int
    /// Intensity range of the input; values outside are treated as the nearest end.
    public var range: ClosedRange<Float>

    public init(tilesX: Int = 8, tilesY: Int = 8, clipLimit: Float = 2, bins: Int = 256, range: ClosedRange<Float> = -1...1) {
        self.tilesX = max(1, tilesX)
        self.tilesY = max(1, tilesY)
        self.clipLimit = max(1, clipLimit)
        self.bins = max(2, bins)
        self.range = range
    }

    /// The histogram with every bin cut to `limit` and the excess redistributed evenly over the
    /// bins below the limit (each filled at most to the limit), until nothing is left or every
    /// bin is full. The total is kept whenever limit × bins ≥ total.
    public static func clippedHistogram(_ histogram: [Double], limit: Double) -> [Double] {
        var h = histogram.map { min($0, limit) }
        var excess = zip(histogram, h).reduce(0) { $0 + ($1.0 - $1.1) }
        let total = histogram.reduce(0, +)
        var rounds = 0
        while excess > 1e-12 * max(total, 1), rounds <= h.count {
            let open = h.indices.filter { h[$0] < limit }
            if open.isEmpty { break }
            let share = excess / Double(open.count)
            excess = 0
            for b in open {
                let add = min(share, limit - h[b])
                h[b] += add
                excess += share - add
            }
            rounds += 1
        }
        return h
    }

    /// The intensity mapping of one tile: for each bin, the output value in `range`.
    /// mapping[b] = lo + (hi − lo) · (Σ_{k<b} h_k + h_b / 2) / Σ h, h the clipped histogram.
    public func mapping(histogram: [Double]) -> [Float] {
        let total = histogram.reduce(0, +)
        let limit = Double(clipLimit) * total / Double(bins)
        let h = CLAHE.clippedHistogram(histogram, limit: limit)
        let lo = range.lowerBound, span = range.upperBound - range.lowerBound
        var out = [Float](repeating: lo, count: bins)
        guard total > 0 else { return out }
        let clippedTotal = h.reduce(0, +)
        var before = 0.0
        for b in 0..<bins {
            out[b] = lo + span * Float((before + h[b] / 2) / clippedTotal)
            before += h[b]
        }
        return out
    }

    @inline(__always) func bin(of v: Float) -> Int {
        let u = (v - range.lowerBound) / (range.upperBound - range.lowerBound)
        return min(bins - 1, max(0, Int(u * Float(bins))))
    }

    /// Tile index bounds along an axis of n pixels cut into t tiles: tile i is [i·n/t, (i+1)·n/t).
    private static func tileStarts(_ n: Int, _ t: Int) -> [Int] { (0...t).map { $0 * n / t } }

    /// For each pixel along an axis: the two neighbouring tiles and the weight of the second.
    private static func interpolation(_ n: Int, _ t: Int) -> [(Int, Int, Float)] {
        let size = Float(n) / Float(t)
        return (0..<n).map { x in
            let u = (Float(x) + 0.5) / size - 0.5
            let t0 = min(t - 1, max(0, Int(u.rounded(.down))))
            let t1 = min(t - 1, t0 + 1)
            let f = t1 == t0 ? 0 : min(1, max(0, u - Float(t0)))
            return (t0, t1, f)
        }
    }

    /// The equalised plane.
    public func apply(to plane: Plane<Float>) -> Plane<Float> {
        let w = plane.width, h = plane.height
        let tx = min(tilesX, w), ty = min(tilesY, h)
        let xs = CLAHE.tileStarts(w, tx), ys = CLAHE.tileStarts(h, ty)
        let binned = plane.values.map { bin(of: $0) }

        var maps = [[Float]]()
        maps.reserveCapacity(tx * ty)
        for j in 0..<ty {
            for i in 0..<tx {
                var hist = [Double](repeating: 0, count: bins)
                for y in ys[j]..<ys[j + 1] {
                    for x in xs[i]..<xs[i + 1] { hist[binned[y * w + x]] += 1 }
                }
                maps.append(mapping(histogram: hist))
            }
        }

        let ix = CLAHE.interpolation(w, tx), iy = CLAHE.interpolation(h, ty)
        var out = [Float](repeating: 0, count: w * h)
        for y in 0..<h {
            let (j0, j1, fy) = iy[y]
            for x in 0..<w {
                let (i0, i1, fx) = ix[x]
                let b = binned[y * w + x]
                let top = (1 - fx) * maps[j0 * tx + i0][b] + fx * maps[j0 * tx + i1][b]
                let bottom = (1 - fx) * maps[j1 * tx + i0][b] + fx * maps[j1 * tx + i1][b]
                out[y * w + x] = (1 - fy) * top + fy * bottom
            }
        }
        return Plane(width: w, height: h, values: out)
    }
}
