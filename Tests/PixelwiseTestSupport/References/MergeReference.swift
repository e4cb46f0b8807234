/// Channel concatenation, Caffe's MergeCrop (centre crop of the second input, then concatenation)
/// and element-wise addition.
public enum MergeReference {
    /// y = concat_C(a, crop(b)), crop offset (size_b − size_a)/2 per spatial axis; with equal
    /// spatial sizes this is plain concatenation.
    public static func mergeCrop(_ a: [Double], shape sa: [Int], _ b: [Double], shape sb: [Int]) -> (values: [Double], shape: [Int]) {
        let va = Volume(sa), vb = Volume(sb)
        let oz = (vb.d - va.d) / 2, oy = (vb.h - va.h) / 2, ox = (vb.w - va.w) / 2
        var outShape = sa
        outShape[1] = va.c + vb.c
        let o = Volume(outShape)
        var y = [Double](repeating: 0, count: o.count)
        for n in 0..<o.n { for c in 0..<o.c { for z in 0..<o.d { for yy in 0..<o.h { for xx in 0..<o.w {
            y[o.index(n, c, z, yy, xx)] = c < va.c
                ? a[va.index(n, c, z, yy, xx)]
                : b[vb.index(n, c - va.c, z + oz, yy + oy, xx + ox)]
        } } } } }
        return (y, outShape)
    }

    public static func add(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + $1 } }
}
