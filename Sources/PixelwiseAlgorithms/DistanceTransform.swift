/// Exact Euclidean distance transform in linear time (Felzenszwalb & Huttenlocher, "Distance
/// Transforms of Sampled Functions", Theory of Computing 8, 2012).
///
/// For a set F of foreground pixels the squared distance map is
///
///     D(p) = min_{q ∈ F} ‖p − q‖²,      D(p) = +∞ if F is empty.
///
/// Because ‖p − q‖² = Σ_axis (p_a − q_a)², D is separable: start with f = 0 on F and +∞ elsewhere,
/// then replace f along every line of axis 0, then axis 1 (then axis 2) by its 1-D transform
///
///     d(q) = min_v ((q − v)² + f(v)),
///
/// the lower envelope of the parabolas rooted at (v, f(v)). Each 1-D pass is O(n), so the whole
/// transform is O(width·height·depth). Values are exact integers (as Float) while they stay below
/// 2²⁴, i.e. for images up to about 2900 pixels on a side; the envelope intersections are computed
/// in Double.
///
/// - Parameters:
///   - foreground: row-major mask, `width·height·depth` elements (x fastest).
/// - Returns: squared distances, same layout; 0 on foreground pixels.
public func squaredDistanceToNearest(foreground: [Bool], width: Int, height: Int, depth: Int = 1) -> [Float] {
    let shape = GridShape(width: width, height: height, depth: depth)
    shape.check(foreground, "foreground")
    var map = foreground.map { $0 ? Float(0) : Float.infinity }
    guard shape.count > 0 else { return map }
    var envelope = LowerEnvelope(capacity: max(width, height, depth))
    for axis in 0..<3 where shape.extent(axis) > 1 {
        envelope.transform(&map, shape: shape, axis: axis)
    }
    return map
}

/// Euclidean distance (the square root of `squaredDistanceToNearest`).
public func distanceToNearest(foreground: [Bool], width: Int, height: Int, depth: Int = 1) -> [Float] {
    squaredDistanceToNearest(foreground: foreground, width: width, height: height, depth: depth).map { $0.squareRoot() }
}

/// Scratch buffers for the 1-D lower-envelope pass, allocated once per transform.
struct LowerEnvelope {
    var line: [Double]      // f along the current line
    var roots: [Int32]      // v: abscissae of the parabolas in the envelope
    var bounds: [Double]    // z: the envelope uses parabola k on [z_k, z_{k+1})

    init(capacity: Int) {
        line = [Double](repeating: 0, count: capacity)
        roots = [Int32](repeating: 0, count: capacity)
        bounds = [Double](repeating: 0, count: capacity + 1)
    }

    /// Replaces `map` along every line parallel to `axis` by its 1-D distance transform.
    mutating func transform(_ map: inout [Float], shape: GridShape, axis: Int) {
        let n = shape.extent(axis), step = shape.stride(axis)
        let lineCount = shape.count / n
        line.withUnsafeMutableBufferPointer { f in
        roots.withUnsafeMutableBufferPointer { v in
        bounds.withUnsafeMutableBufferPointer { z in
        map.withUnsafeMutableBufferPointer { out in
            for lineIndex in 0..<lineCount {
                // First element of the line: lines are enumerated over the other two axes.
                let start: Int
                switch axis {
                case 0: start = lineIndex * shape.width
                case 1: start = (lineIndex / shape.width) * shape.width * shape.height + lineIndex % shape.width
                default: start = lineIndex
                }
                for q in 0..<n { f[q] = Double(out[start + q * step]) }
                Self.envelope1D(f, v, z, n: n, out: out, start: start, step: step)
            }
        }}}}
    }

    /// Felzenszwalb–Huttenlocher's algorithm on one line. Sites with f = +∞ never enter the
    /// envelope (their parabola is nowhere lowest), which also keeps the arithmetic finite.
    @inline(__always)
    static func envelope1D(_ f: UnsafeMutableBufferPointer<Double>, _ v: UnsafeMutableBufferPointer<Int32>,
                           _ z: UnsafeMutableBufferPointer<Double>, n: Int,
                           out: UnsafeMutableBufferPointer<Float>, start: Int, step: Int) {
        var k = -1
        for q in 0..<n where f[q].isFinite {
            let fq = f[q] + Double(q * q)
            if k < 0 {
                k = 0; v[0] = Int32(q); z[0] = -.infinity; z[1] = .infinity
                continue
            }
            var s: Double
            repeat {
                let r = Int(v[k])
                // Intersection of the parabolas rooted at r and q.
                s = (fq - (f[r] + Double(r * r))) / Double(2 * (q - r))
                if s <= z[k] { k -= 1 } else { break }
            } while k >= 0
            k += 1
            v[k] = Int32(q); z[k] = k == 0 ? -.infinity : s; z[k + 1] = .infinity
        }
        if k < 0 {
            for q in 0..<n { out[start + q * step] = .infinity }
            return
        }
        k = 0
        for q in 0..<n {
            while z[k + 1] < Double(q) { k += 1 }
            let r = Int(v[k]), d = q - r
            out[start + q * step] = Float(Double(d * d) + f[r])
        }
    }
}
