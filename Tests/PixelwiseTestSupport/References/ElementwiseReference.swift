#if canImport(Glibc)
import Glibc
#endif

/// Activations, one element at a time, and the channel softmax per pixel.
public enum ElementwiseReference {
    public static func relu(_ x: [Double]) -> [Double] { x.map { max($0, 0) } }
    public static func leakyReLU(_ x: [Double], slope: Double) -> [Double] { x.map { $0 > 0 ? $0 : slope * $0 } }
    public static func sigmoid(_ x: [Double]) -> [Double] { x.map { 1 / (1 + exp(-$0)) } }

    /// y[n, c, p] = e^{x[n, c, p]} / Σ_k e^{x[n, k, p]} (with the maximum subtracted first).
    public static func channelSoftmax(_ x: [Double], shape xs: [Int]) -> [Double] {
        let v = Volume(xs), pixels = v.d * v.h * v.w
        var y = x
        for n in 0..<v.n { for p in 0..<pixels {
            let idx = (0..<v.c).map { (n * v.c + $0) * pixels + p }
            let m = idx.map { x[$0] }.max()!
            let e = idx.map { exp(x[$0] - m) }
            let s = e.reduce(0, +)
            for (k, i) in idx.enumerated() { y[i] = e[k] / s }
        } }
        return y
    }
}
