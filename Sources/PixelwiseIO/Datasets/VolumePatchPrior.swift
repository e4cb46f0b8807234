import PixelwiseCore

/// Tschopp's patch prior (§4.3, see `PatchPrior`) over 3-D windows, per voxel: candidate j is
/// the output window (d × h × w voxels) at every corner (z, y, x) on a grid of step `stride`
/// (per axis) of every volume, windows larger than a volume reading it mirrored; with a_{j,i}
/// the fraction of window j's voxels of class i (ignored voxels count for none),
/// c_i = Σ_j a_{j,i} / Σ_j Σ_k a_{j,k}, r_j = Σ_i a_{j,i} / c_i, and window j is drawn with
/// probability r_j / Σ_k r_k; ĉ_i = Σ_j r_j a_{j,i} / Z is the label frequency under the prior.
public struct VolumePatchPrior: Sendable {
    public let window: [Int]
    public let stride: [Int]
    public let classCount: Int
    /// c_i (sums to 1).
    public let labelFrequencies: [Double]
    /// ĉ_i (sums to 1).
    public let posterior: [Double]
    /// Window corners per axis, per volume.
    let positions: [[Int]]
    /// Cumulative r_j over every window of every volume (volume-major, then z, y, x).
    let cumulative: [Double]
    let volumeStart: [Int]

    public init(samples: [VolumeSample], window: [Int], classCount: Int, stride: [Int] = [1, 1, 1]) throws {
        guard !samples.isEmpty else { throw PixelwiseError.invalidArgument("patch prior: no volumes") }
        guard window.count == 3, stride.count == 3, window.allSatisfy({ $0 > 0 }), stride.allSatisfy({ $0 > 0 }), classCount > 0 else {
            throw PixelwiseError.invalidArgument("patch prior: window \(window), \(classCount) classes, stride \(stride)")
        }
        for s in samples {
            if let bad = s.labels.first(where: { $0 >= Int32(classCount) }) {
                throw PixelwiseError.invalidArgument("patch prior: \(s.name) has class \(bad), but only \(classCount) classes")
            }
        }
        self.window = window
        self.stride = stride
        self.classCount = classCount
        positions = samples.map { s in (0..<3).map { max(0, s.size[$0] - window[$0]) / stride[$0] + 1 } }

        var totals = [Double](repeating: 0, count: classCount)
        for s in samples {
            Self.forEachWindow(s, window, stride, classCount) { a in for i in 0..<classCount { totals[i] += a[i] } }
        }
        let sum = totals.reduce(0, +)
        guard sum > 0 else { throw PixelwiseError.invalidArgument("patch prior: every label is ignored") }
        labelFrequencies = totals.map { $0 / sum }
        let inverse = labelFrequencies.map { $0 > 0 ? 1 / $0 : 0 }

        var posteriorSums = [Double](repeating: 0, count: classCount)
        var cumulative = [Double](), starts = [Int]()
        cumulative.reserveCapacity(positions.reduce(0) { $0 + $1.reduce(1, *) })
        var running = 0.0
        for s in samples {
            starts.append(cumulative.count)
            Self.forEachWindow(s, window, stride, classCount) { a in
                var r = 0.0
                for i in 0..<classCount { r += a[i] * inverse[i] }
                for i in 0..<classCount { posteriorSums[i] += r * a[i] }
                running += r
                cumulative.append(running)
            }
        }
        let z = posteriorSums.reduce(0, +)
        posterior = posteriorSums.map { z > 0 ? $0 / z : 0 }
        self.cumulative = cumulative
        volumeStart = starts
    }

    /// Calls `body(a)` for every window of a volume (z, then y, then x), a the class fractions,
    /// from per-class summed-volume tables of the mirror-extended labels.
    static func forEachWindow(_ s: VolumeSample, _ window: [Int], _ stride: [Int], _ classCount: Int, _ body: ([Double]) -> Void) {
        let e = (0..<3).map { max(s.size[$0], window[$0]) }
        let labels = s.mirroredLabels(origin: [0, 0, 0], size: e).values
        let (sy, sz) = (e[2] + 1, (e[1] + 1) * (e[2] + 1))  // strides of the table
        func table(_ i: Int32) -> [Int32] {
            var t = [Int32](repeating: 0, count: (e[0] + 1) * sz)
            for z in 0..<e[0] {
                for y in 0..<e[1] {
                    var row: Int32 = 0
                    for x in 0..<e[2] {
                        if labels[(z * e[1] + y) * e[2] + x] == i { row += 1 }
                        let at = (z + 1) * sz + (y + 1) * sy + x + 1
                        // S(z,y,x) = row + S(z,y−1,x) + S(z−1,y,x) − S(z−1,y−1,x)
                        t[at] = row + t[at - sy] + t[at - sz] - t[at - sy - sz]
                    }
                }
            }
            return t
        }
        let tables = (0..<classCount).map { table(Int32($0)) }
        let counts = (0..<3).map { max(0, s.size[$0] - window[$0]) / stride[$0] + 1 }
        let volume = Double(window.reduce(1, *))
        var a = [Double](repeating: 0, count: classCount)
        for pz in 0..<counts[0] {
            let z0 = pz * stride[0], z1 = z0 + window[0]
            for py in 0..<counts[1] {
                let y0 = py * stride[1], y1 = y0 + window[1]
                for px in 0..<counts[2] {
                    let x0 = px * stride[2], x1 = x0 + window[2]
                    for i in 0..<classCount {
                        let t = tables[i]
                        func at(_ z: Int, _ y: Int, _ x: Int) -> Int32 { t[z * sz + y * sy + x] }
                        let n = at(z1, y1, x1) - at(z0, y1, x1) - at(z1, y0, x1) - at(z1, y1, x0)
                            + at(z0, y0, x1) + at(z0, y1, x0) + at(z1, y0, x0) - at(z0, y0, x0)
                        a[i] = Double(n) / volume
                    }
                    body(a)
                }
            }
        }
    }

    /// The probability of drawing the window with corner `origin` (multiples of `stride`) of volume `volume`.
    public func probability(volume: Int, origin: [Int]) -> Double {
        let p = positions[volume]
        let j = volumeStart[volume] + ((origin[0] / stride[0]) * p[1] + origin[1] / stride[1]) * p[2] + origin[2] / stride[2]
        return (cumulative[j] - (j == 0 ? 0 : cumulative[j - 1])) / cumulative[cumulative.count - 1]
    }

    /// Draws a window: the volume and the corner of its output window.
    public func draw(using rng: inout SeededGenerator) -> (volume: Int, origin: [Int]) {
        let u = Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0) * cumulative[cumulative.count - 1]
        let j = PatchPrior.firstAbove(u, cumulative)
        let volume = volumeStart.lastIndex(where: { $0 <= j })!
        let p = positions[volume]
        let k = j - volumeStart[volume]
        return (volume, [k / (p[1] * p[2]) * stride[0], k / p[2] % p[1] * stride[1], k % p[2] * stride[2]])
    }
}
