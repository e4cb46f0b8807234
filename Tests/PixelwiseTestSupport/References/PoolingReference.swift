/// Max and average pooling without padding, the definitions themselves:
///
///   max:     y[n, c, p] = max_k x[n, c, s·p + d·k]
///   average: y[n, c, p] = (1/|k|) Σ_k x[n, c, s·p + k]
///
/// Output size per axis ⌊(H − d·(k − 1) − 1) / s⌋ + 1.
public enum PoolingReference {
    public enum Kind { case max, average }

    public static func forward(_ kind: Kind, _ x: [Double], shape xs: [Int], kernel: [Int], stride: [Int], dilation: [Int]? = nil)
        -> (values: [Double], shape: [Int]) {
        let i = Volume(xs)
        let k = axes3(kernel, fill: 1), s = axes3(stride, fill: 1), d = axes3(dilation ?? kernel.map { _ in 1 }, fill: 1)
        var os: [Int] = []
        for a in 0..<3 {
            let span: Int = i.spatial[a] - d[a] * (k[a] - 1) - 1
            os.append(span / s[a] + 1)
        }
        let outShape = shape(n: i.n, c: i.c, spatial: os, rank: xs.count)
        let o = Volume(outShape)
        var y = [Double](repeating: 0, count: o.count)
        for n in 0..<o.n { for c in 0..<o.c { for z in 0..<o.d { for yy in 0..<o.h { for xx in 0..<o.w {
            var window: [Double] = []
            for kz in 0..<k[0] { for ky in 0..<k[1] { for kx in 0..<k[2] {
                window.append(x[i.index(n, c, z * s[0] + kz * d[0], yy * s[1] + ky * d[1], xx * s[2] + kx * d[2])])
            } } }
            y[o.index(n, c, z, yy, xx)] = kind == .max ? window.max()! : window.reduce(0, +) / Double(window.count)
        } } } } }
        return (y, outShape)
    }
}
