/// Direct convolution, the definition itself:
///
///   y[n, o, p] = b[o] + Σ_i Σ_k w[o, i, k] · x[n, i, s·p + d·k − pad_low]   (out-of-range x are 0)
///
/// x: (N, C_in, [D,] H, W); w: (C_out, C_in, [k_D,] k_H, k_W); output size per axis
/// ⌊(H + pad_low + pad_high − d·(k − 1) − 1) / s⌋ + 1. Double precision, row-major.
public enum ConvolutionReference {
    public static func outputSize(_ input: Int, kernel: Int, stride: Int, dilation: Int, low: Int, high: Int) -> Int {
        (input + low + high - dilation * (kernel - 1) - 1) / stride + 1
    }

    /// "Same" padding as TensorFlow and PyTorch define it: output ⌈H / s⌉, the total padding split
    /// with the odd element at the high end.
    public static func samePadding(_ input: Int, kernel: Int, stride: Int, dilation: Int) -> (low: Int, high: Int) {
        let output = (input + stride - 1) / stride
        let total = max(0, (output - 1) * stride + dilation * (kernel - 1) + 1 - input)
        return (total / 2, total - total / 2)
    }

    public static func forward(_ x: [Double], shape xs: [Int], weight: [Double], weightShape ws: [Int], bias: [Double]?,
                        stride: [Int], dilation: [Int], paddingLow: [Int], paddingHigh: [Int]) -> (values: [Double], shape: [Int]) {
        let i = Volume(xs)
        let k = axes3(Array(ws.dropFirst(2)), fill: 1), s = axes3(stride, fill: 1), d = axes3(dilation, fill: 1)
        let pl = axes3(paddingLow, fill: 0), ph = axes3(paddingHigh, fill: 0)
        let outC = ws[0]
        precondition(ws[1] == i.c)
        let os = (0..<3).map { outputSize(i.spatial[$0], kernel: k[$0], stride: s[$0], dilation: d[$0], low: pl[$0], high: ph[$0]) }
        let outShape = shape(n: i.n, c: outC, spatial: os, rank: xs.count)
        let o = Volume(outShape)
        var y = [Double](repeating: 0, count: o.count)
        for n in 0..<o.n { for oc in 0..<outC { for z in 0..<o.d { for yy in 0..<o.h { for xx in 0..<o.w {
            var sum = bias?[oc] ?? 0
            for ic in 0..<i.c { for kz in 0..<k[0] { for ky in 0..<k[1] { for kx in 0..<k[2] {
                let iz = z * s[0] + kz * d[0] - pl[0], iy = yy * s[1] + ky * d[1] - pl[1], ix = xx * s[2] + kx * d[2] - pl[2]
                guard i.contains(iz, iy, ix) else { continue }
                let wIndex = (((oc * i.c + ic) * k[0] + kz) * k[1] + ky) * k[2] + kx
                sum += weight[wIndex] * x[i.index(n, ic, iz, iy, ix)]
            } } } }
            y[o.index(n, oc, z, yy, xx)] = sum
        } } } } }
        return (y, outShape)
    }
}

extension ConvolutionReference {
    /// dL/dw and dL/db of `forward`, straight from its definition:
    ///
    ///   dL/dw[o, i, k] = Σ_n Σ_p dL/dy[n, o, p] · x[n, i, s·p + d·k − pad_low],   dL/db[o] = Σ_n Σ_p dL/dy[n, o, p]
    public static func weightGradient(_ dy: [Double], outputShape ys: [Int], input x: [Double], shape xs: [Int], weightShape ws: [Int],
                               stride: [Int], dilation: [Int], paddingLow: [Int]) -> (weight: [Double], bias: [Double]) {
        let i = Volume(xs), o = Volume(ys)
        let k = axes3(Array(ws.dropFirst(2)), fill: 1), s = axes3(stride, fill: 1), d = axes3(dilation, fill: 1)
        let pl = axes3(paddingLow, fill: 0)
        var dw = [Double](repeating: 0, count: ws.reduce(1, *)), db = [Double](repeating: 0, count: o.c)
        for n in 0..<o.n { for oc in 0..<o.c { for z in 0..<o.d { for yy in 0..<o.h { for xx in 0..<o.w {
            let g = dy[o.index(n, oc, z, yy, xx)]
            db[oc] += g
            for ic in 0..<i.c { for kz in 0..<k[0] { for ky in 0..<k[1] { for kx in 0..<k[2] {
                let iz = z * s[0] + kz * d[0] - pl[0], iy = yy * s[1] + ky * d[1] - pl[1], ix = xx * s[2] + kx * d[2] - pl[2]
                guard i.contains(iz, iy, ix) else { continue }
                dw[(((oc * i.c + ic) * k[0] + kz) * k[1] + ky) * k[2] + kx] += g * x[i.index(n, ic, iz, iy, ix)]
            } } } }
        } } } } }
        return (dw, db)
    }
}
