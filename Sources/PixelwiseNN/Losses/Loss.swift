import PixelwiseCore

/// What the network is trained to reproduce for one batch.
public struct Target: @unchecked Sendable {
    /// Class index per pixel, (N, [D,] H, W) flattened row-major; negative = ignore (no error).
    public var labels: [Int32]
    /// Optional per-pixel weight, same indexing as `labels` (e.g. Ronneberger's border weights).
    /// A weight of 0 masks the pixel: it contributes nothing to the loss or its gradient.
    public var weights: [Float]?
    /// Optional dense target (N, C, [D,] H, W) for regression losses (`MeanSquaredError`); when nil,
    /// such losses compare with the one-hot encoding of `labels`.
    public var values: Tensor?
    /// Optional squared Euclidean distance from each pixel to the nearest foreground pixel, indexed
    /// like `labels`. A data source that crops patches from large label images computes it once per
    /// label image (`squaredDistanceToNearest`) and crops it with the labels, so
    /// `DistanceAwareCrossEntropy` sees distances to foreground outside the patch too.
    public var foregroundSquaredDistances: [Float]?

    public init(labels: [Int32], weights: [Float]? = nil, values: Tensor? = nil, foregroundSquaredDistances: [Float]? = nil) {
        self.labels = labels
        self.weights = weights
        self.values = values
        self.foregroundSquaredDistances = foregroundSquaredDistances
    }
}

/// A training criterion over the network's output (logits, N × C × [D ×] H × W).
///
/// Every loss here takes the *logits* (the last convolution's output) and applies the softmax or
/// sigmoid itself, which is exact where the separate layer would lose precision (log σ(z) for
/// large |z|). Networks add a `Softmax` / `Sigmoid` layer only for inference.
public protocol Loss {
    /// The loss and its gradient with respect to `output` (same shape as `output`).
    mutating func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor)

    /// Called by `Trainer` before the batches of (0-based) iteration `iteration`, so a loss that
    /// changes over training (`ScheduledLoss`) knows where the run is, also after a resume.
    /// The default does nothing.
    mutating func prepare(iteration: Int)
}

extension Loss {
    public mutating func prepare(iteration: Int) {}
}

extension Loss {
    /// Throws unless the labels cover exactly the output's pixels.
    func checkTarget(_ output: Tensor, _ target: Target) throws {
        guard output.rank >= 3 else {
            throw PixelwiseError.shapeMismatch("loss: output \(output.shape) must be (N, C, [D,] H, W)")
        }
        let pixels = output.count / output.shape[1]
        guard target.labels.count == pixels else {
            throw PixelwiseError.shapeMismatch("loss: \(target.labels.count) labels for output \(output.shape) (\(pixels) pixels)")
        }
        if let w = target.weights, w.count != pixels {
            throw PixelwiseError.shapeMismatch("loss: \(w.count) pixel weights for \(pixels) pixels")
        }
    }
}
