/// Transposed convolution as a scatter, the definition itself: every input pixel adds a weighted
/// copy of the kernel into the output.
///
///   y[n, o, s·p + d·k − pad] += w[i, o, k] · x[n, i, p];   y[n, o, ·] += b[o]
///
/// x: (N, C_in, [D,] H, W); w: (C_in, C_out, [k_D,] k_H, k_W) (PyTorch's ConvTranspose layout);
/// output size per axis (H − 1)·s − 2·pad + d·(k − 1) + 1 + outputPadding. Contributions that land
/// outside the output (cut off by the padding) are dropped.
public enum TransposedConvolutionReference {
    public static func outputSize(_ input: Int, kernel: Int, stride: Int, dilation: Int, padding: Int, outputPadding: Int) -> Int {
        (input - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1 + outputPadding
    }

    public static func forward(_ x: [Double], shape xs: [Int], weight: [Double], weightShape ws: [Int], bias: [Double]?,
                        stride: [Int], dilation: [Int], padding: [Int], outputPadding: [Int]) -> (values: [Double], shape: [Int]) {
        let i = Volume(xs)
        let k = axes3(Array(ws.dropFirst(2)), fill: 1), s = axes3(stride, fill: 1), d = axes3(dilation, fill: 1)
        let pad = axes3(padding, fill: 0), op = axes3(outputPadding, fill: 0)
        precondition(ws[0] == i.c)
        let outC = ws[1]
        let os = (0..<3).map { outputSize(i.spatial[$0], kernel: k[$0], stride: s[$0], dilation: d[$0], padding: pad[$0], outputPadding: op[$0]) }
        let outShape = shape(n: i.n, c: outC, spatial: os, rank: xs.count)
        let o = Volume(outShape)
        var y = [Double](repeating: 0, count: o.count)
        for n in 0..<i.n { for ic in 0..<i.c { for z in 0..<i.d { for yy in 0..<i.h { for xx in 0..<i.w {
            let v = x[i.index(n, ic, z, yy, xx)]
            for oc in 0..<outC { for kz in 0..<k[0] { for ky in 0..<k[1] { for kx in 0..<k[2] {
                let oz = z * s[0] + kz * d[0] - pad[0], oy = yy * s[1] + ky * d[1] - pad[1], ox = xx * s[2] + kx * d[2] - pad[2]
                guard o.contains(oz, oy, ox) else { continue }
                let wIndex = (((ic * outC + oc) * k[0] + kz) * k[1] + ky) * k[2] + kx
                y[o.index(n, oc, oz, oy, ox)] += weight[wIndex] * v
            } } } }
        } } } } }
        if let bias {
            for n in 0..<o.n { for oc in 0..<outC { for z in 0..<o.d { for yy in 0..<o.h { for xx in 0..<o.w {
                y[o.index(n, oc, z, yy, xx)] += bias[oc]
            } } } } }
        }
        return (y, outShape)
    }
}
