/// Exact squared Euclidean distance transform (Felzenszwalb & Huttenlocher 2012), linear time.
///
/// The squared distance separates over axes: D(x, y) = min_{x'} [(x − x')² + min_{y'} ((y − y')² + f(x', y'))],
/// so a 1-D transform along each axis in turn gives the exact result. Each 1-D pass computes the lower
/// envelope of the parabolas (q − i)² + f(i) in O(n).
///
/// Private to the losses until `PixelwiseAlgorithms` provides the same function (same signature);
/// then this file goes.
///
/// - Returns: for each pixel (row-major, `width` fastest), the squared distance to the nearest
///   `true` pixel, 0 on foreground; `.infinity` everywhere if there is no foreground.
func squaredDistanceToNearest(foreground: [Bool], width: Int, height: Int) -> [Float] {
    squaredDistanceToNearest(foreground: foreground, extents: [height, width])
}

/// The same for any rank; `extents` outermost first ([D, H, W] for volumes).
func squaredDistanceToNearest(foreground: [Bool], extents: [Int]) -> [Float] {
    precondition(foreground.count == extents.reduce(1, *), "distance transform: \(foreground.count) pixels for extents \(extents)")
    guard foreground.contains(true) else { return [Float](repeating: .infinity, count: foreground.count) }
    // "No site yet" is a value larger than any squared distance in the image: finite, so the envelope
    // arithmetic stays exact (integers in Double), and gone after the last pass, since at least one
    // real site exists.
    let far = Double(extents.reduce(0) { $0 + $1 * $1 }) + 1
    var f = foreground.map { $0 ? 0.0 : far }
    var step = 1
    var line = [Double](), out = [Double](), v = [Int](), z = [Double]()
    for axis in stride(from: extents.count - 1, through: 0, by: -1) {
        let n = extents[axis], outer = f.count / (n * step)
        line = [Double](repeating: 0, count: n)
        out = line
        v = [Int](repeating: 0, count: n)
        z = [Double](repeating: 0, count: n + 1)
        for o in 0..<outer {
            for inner in 0..<step {
                let base = o * n * step + inner
                for i in 0..<n { line[i] = f[base + i * step] }
                transform1D(line, &out, &v, &z)
                for i in 0..<n { f[base + i * step] = out[i] }
            }
        }
        step *= n
    }
    return f.map { Float($0) }
}

/// d[q] = min_i (q − i)² + f[i] by the lower envelope of parabolas; `v` (parabola apexes) and `z`
/// (envelope breakpoints) are scratch of size n and n + 1.
private func transform1D(_ f: [Double], _ d: inout [Double], _ v: inout [Int], _ z: inout [Double]) {
    let n = f.count
    var k = 0
    v[0] = 0
    z[0] = -.infinity
    z[1] = .infinity
    if n > 1 {
        for q in 1..<n {
            var s: Double
            repeat {
                let p = v[k]
                s = ((f[q] + Double(q * q)) - (f[p] + Double(p * p))) / Double(2 * (q - p))
                if s <= z[k] { k -= 1 } else { break }
            } while k >= 0
            k += 1
            v[k] = q
            z[k] = s
            z[k + 1] = .infinity
        }
    }
    k = 0
    for q in 0..<n {
        while z[k + 1] < Double(q) { k += 1 }
        let dq = Double(q - v[k])
        d[q] = dq * dq + f[v[k]]
    }
}
