/// Up-sampling by an integer factor f per axis, PyTorch's `nn.Upsample` semantics.
///
/// Nearest: y[p] = x[⌊p / f⌋].
/// Linear (`align_corners=False`), per axis: source coordinate s = max((p + ½)/f − ½, 0),
/// i₀ = ⌊s⌋, i₁ = min(i₀ + 1, H − 1), λ = s − i₀, y = (1 − λ)·x[i₀] + λ·x[i₁]; bilinear and
/// trilinear are the products of these weights over the axes.
public enum UpsamplingReference {
    public enum Method { case nearest, linear }

    /// The (index, weight) pairs output coordinate p reads along one axis.
    public static func taps(_ p: Int, input: Int, factor: Int, method: Method) -> [(Int, Double)] {
        if method == .nearest { return [(p / factor, 1)] }
        let s = max((Double(p) + 0.5) / Double(factor) - 0.5, 0)
        let i0 = min(Int(s.rounded(.down)), input - 1)
        let i1 = min(i0 + 1, input - 1)
        let lambda = s - Double(i0)
        return [(i0, 1 - lambda), (i1, lambda)]
    }

    public static func forward(_ x: [Double], shape xs: [Int], factor: [Int], method: Method) -> (values: [Double], shape: [Int]) {
        let i = Volume(xs)
        let f = axes3(factor, fill: 1)
        let outShape = shape(n: i.n, c: i.c, spatial: (0..<3).map { i.spatial[$0] * f[$0] }, rank: xs.count)
        let o = Volume(outShape)
        var y = [Double](repeating: 0, count: o.count)
        for n in 0..<o.n { for c in 0..<o.c { for z in 0..<o.d { for yy in 0..<o.h { for xx in 0..<o.w {
            var sum = 0.0
            for (iz, wz) in taps(z, input: i.d, factor: f[0], method: method) {
                for (iy, wy) in taps(yy, input: i.h, factor: f[1], method: method) {
                    for (ix, wx) in taps(xx, input: i.w, factor: f[2], method: method) {
                        sum += wz * wy * wx * x[i.index(n, c, iz, iy, ix)]
                    }
                }
            }
            y[o.index(n, c, z, yy, xx)] = sum
        } } } } }
        return (y, outShape)
    }
}
