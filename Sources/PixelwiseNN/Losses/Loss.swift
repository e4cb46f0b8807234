/// What the network is trained to reproduce for one batch.
public struct Target: @unchecked Sendable {
    /// Class index per pixel, (N, [D,] H, W) flattened row-major; negative = ignore (no error).
    public var labels: [Int32]
    /// Optional per-pixel weight, same indexing as `labels` (e.g. Ronneberger's border weights).
    public var weights: [Float]?

    public init(labels: [Int32], weights: [Float]? = nil) {
        self.labels = labels
        self.weights = weights
    }
}

/// A training criterion over the network's output (logits, N × C × [D ×] H × W).
public protocol Loss {
    /// The mean loss and its gradient with respect to `output`.
    mutating func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor)
}

extension Loss {
    /// Throws unless the labels cover exactly the output's pixels.
    func checkTarget(_ output: Tensor, _ target: Target) throws {
        let pixels = output.count / output.shape[1]
        guard target.labels.count == pixels else {
            throw PixelwiseError.shapeMismatch("loss: \(target.labels.count) labels for output \(output.shape) (\(pixels) pixels)")
        }
        if let w = target.weights, w.count != pixels {
            throw PixelwiseError.shapeMismatch("loss: \(w.count) pixel weights for \(pixels) pixels")
        }
    }
}
