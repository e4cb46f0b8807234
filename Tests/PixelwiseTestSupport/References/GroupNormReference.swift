/// Group normalisation in double precision, the plain way: for every sample n and group g of
/// C/G consecutive channels, μ and the biased σ² over the group's channels and all positions, then
///
///   y = γ_c·(x − μ)/√(σ² + ε) + β_c.
///
/// G = C is instance normalisation; G = 1 layer normalisation over (C, [D,] H, W).
public enum GroupNormReference {
    public static func forward(_ x: [Double], shape xs: [Int], groups: Int, scale: [Double], shift: [Double], epsilon: Double) -> [Double] {
        let v = Volume(xs)
        let pixels = v.d * v.h * v.w, perGroup = v.c / groups
        var y = x
        for n in 0..<v.n {
            for g in 0..<groups {
                let channels = g * perGroup..<(g + 1) * perGroup
                var sum = 0.0
                for c in channels { for p in 0..<pixels { sum += x[(n * v.c + c) * pixels + p] } }
                let mean = sum / Double(perGroup * pixels)
                var squares = 0.0
                for c in channels { for p in 0..<pixels {
                    let e = x[(n * v.c + c) * pixels + p] - mean
                    squares += e * e
                } }
                let deviation = (squares / Double(perGroup * pixels) + epsilon).squareRoot()
                for c in channels { for p in 0..<pixels {
                    let i = (n * v.c + c) * pixels + p
                    y[i] = scale[c] * (x[i] - mean) / deviation + shift[c]
                } }
            }
        }
        return y
    }

    /// Layer normalisation over (C, [D,] H, W) of each sample, with γ, β per channel: written
    /// separately (one mean and variance per sample) to check that G = 1 is this.
    public static func layerNorm(_ x: [Double], shape xs: [Int], scale: [Double], shift: [Double], epsilon: Double) -> [Double] {
        let v = Volume(xs)
        let perSample = v.c * v.d * v.h * v.w, pixels = v.d * v.h * v.w
        var y = x
        for n in 0..<v.n {
            let slice = x[n * perSample..<(n + 1) * perSample]
            let mean = slice.reduce(0, +) / Double(perSample)
            let variance = slice.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(perSample)
            for i in n * perSample..<(n + 1) * perSample {
                let c = (i - n * perSample) / pixels
                y[i] = scale[c] * (x[i] - mean) / (variance + epsilon).squareRoot() + shift[c]
            }
        }
        return y
    }
}
