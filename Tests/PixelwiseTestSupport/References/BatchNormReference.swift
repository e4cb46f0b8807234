/// Batch normalisation per channel c over the N·D·H·W values x_c of that channel:
///
///   train: μ = mean(x_c), σ² = mean((x_c − μ)²) (biased), y = γ·(x − μ)/√(σ² + ε) + β;
///          running_mean ← (1 − m)·running_mean + m·μ,
///          running_var  ← (1 − m)·running_var  + m·σ²·M/(M − 1)   (M values per channel; unbiased)
///   eval:  y = γ·(x − running_mean)/√(running_var + ε) + β
public enum BatchNormReference {
    public struct Statistics { public var mean: [Double]; public var variance: [Double] }

    public static func statistics(_ x: [Double], shape xs: [Int]) -> Statistics {
        let v = Volume(xs)
        let m = Double(v.n * v.d * v.h * v.w)
        var mean = [Double](repeating: 0, count: v.c), variance = mean
        for c in 0..<v.c {
            var s = 0.0
            for n in 0..<v.n { for p in 0..<(v.d * v.h * v.w) { s += x[(n * v.c + c) * v.d * v.h * v.w + p] } }
            mean[c] = s / m
            var q = 0.0
            for n in 0..<v.n { for p in 0..<(v.d * v.h * v.w) {
                let e = x[(n * v.c + c) * v.d * v.h * v.w + p] - mean[c]
                q += e * e
            } }
            variance[c] = q / m
        }
        return Statistics(mean: mean, variance: variance)
    }

    /// Normalises with the given per-channel statistics.
    public static func normalise(_ x: [Double], shape xs: [Int], mean: [Double], variance: [Double], scale: [Double], shift: [Double],
                          epsilon: Double) -> [Double] {
        let v = Volume(xs)
        let pixels = v.d * v.h * v.w
        var y = x
        for n in 0..<v.n { for c in 0..<v.c { for p in 0..<pixels {
            let i = (n * v.c + c) * pixels + p
            y[i] = scale[c] * (x[i] - mean[c]) / (variance[c] + epsilon).squareRoot() + shift[c]
        } } }
        return y
    }

    public static func train(_ x: [Double], shape xs: [Int], scale: [Double], shift: [Double], epsilon: Double) -> [Double] {
        let s = statistics(x, shape: xs)
        return normalise(x, shape: xs, mean: s.mean, variance: s.variance, scale: scale, shift: shift, epsilon: epsilon)
    }

    /// The running averages after one training step.
    public static func updatedRunning(mean: [Double], variance: [Double], batch: Statistics, perChannel: Int, momentum: Double)
        -> (mean: [Double], variance: [Double]) {
        let unbias = Double(perChannel) / Double(perChannel - 1)
        return (zip(mean, batch.mean).map { (1 - momentum) * $0 + momentum * $1 },
                zip(variance, batch.variance).map { (1 - momentum) * $0 + momentum * $1 * unbias })
    }
}
