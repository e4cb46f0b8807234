import PixelwiseCore

/// Folds a per-channel affine map (an inference-mode batch normalisation) into the convolution before it.
///
/// BN(conv(x)) = γ·(w∗x + b − μ)/√(σ² + ε) + β = (s·w)∗x + (s·(b − μ) + β), with s = γ/√(σ² + ε)
/// per output channel o: w'[o, …] = s_o·w[o, …], b'_o = s_o·(b_o − μ_o) + β_o.
/// Weight shapes as stored: (C_out, C_in, k…) for a convolution, (C_in, C_out, k…) transposed.
enum BatchNormFolding {
    static func fold(weight: Tensor, bias: Tensor?, transposed: Bool, into affine: ChannelAffine) -> (weight: Tensor, bias: Tensor) {
        let (s, mean, beta) = affine.coefficients()
        let outputs = s.count
        let b = bias?.scalars ?? [Float](repeating: 0, count: outputs)
        let foldedBias = (0..<outputs).map { s[$0] * (b[$0] - mean[$0]) + beta[$0] }
        var w = weight.scalars
        // Elements per (outer, output channel) block: C_in·k… for OIHW, k… for IOHW (outer = C_in).
        let kernel = weight.shape.dims.dropFirst(2).reduce(1, *)
        let taps = transposed ? kernel : weight.shape[1] * kernel
        let outer = transposed ? weight.shape[0] : 1
        for i in 0..<outer {
            for o in 0..<outputs {
                let start = (i * outputs + o) * taps
                for k in start..<(start + taps) { w[k] *= s[o] }
            }
        }
        return (Tensor(shape: weight.shape, scalars: w), Tensor(shape: [outputs], scalars: foldedBias))
    }
}
