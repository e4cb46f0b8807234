import PixelwiseCore

/// Mean squared error between the output and a dense target.
///
/// L = (1 / (C · Σ_p w_p)) Σ_p w_p Σ_c (x_pc − t_pc)²,  dL/dx_pc = 2 w_p (x_pc − t_pc) / (C · Σ w_p),
/// with t = `Target.values` (same shape as the output) if given, else the one-hot encoding of the
/// labels. w_p is the pixel weight (1 if none), 0 where the label is negative or the ignore value.
/// Shapes: output (N, C, [D,] H, W).
public struct MeanSquaredError: Loss, Sendable {
    public var ignoreLabel: Int32?

    public init(ignoreLabel: Int32? = nil) { self.ignoreLabel = ignoreLabel }

    public func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        try checkTarget(output, target)
        let c = output.shape[1]
        let weighting = PixelWeighting(ignoreLabel: ignoreLabel)
        let w: [Float]
        var t: Tensor
        if let values = target.values {
            guard values.shape == output.shape else {
                throw PixelwiseError.shapeMismatch("MSE: target values \(values.shape) for output \(output.shape)")
            }
            t = values.inLayout(.channelsLast)
            w = target.labels.enumerated().map { p, y in weighting.ignores(y) ? 0 : target.weights?[p] ?? 1 }
        } else {
            w = try weighting.weights(for: target, classes: c)
            var onehot = [Float](repeating: 0, count: output.count)
            for (p, y) in target.labels.enumerated() where w[p] != 0 { onehot[p * c + Int(y)] = 1 }
            t = Tensor(shape: output.shape, layout: .channelsLast, storageOrder: onehot)
        }
        var gradient = output.inLayout(.channelsLast)
        var total = 0.0, weightSum = 0.0
        t.withUnsafeBufferPointer { tp in
            gradient.withUnsafeMutableBufferPointer { g in
                for p in 0..<w.count {
                    weightSum += Double(w[p])
                    for k in p * c..<(p + 1) * c {
                        let d = g[k] - tp[k]
                        total += Double(w[p] * d * d)
                        g[k] = 2 * w[p] * d
                    }
                }
            }
        }
        guard weightSum > 0 else { return (0, Tensor(zeros: output.shape, layout: .channelsLast)) }
        let norm = Double(c) * weightSum
        gradient.scale(by: Float(1 / norm))
        return (Float(total / norm), gradient)
    }
}
