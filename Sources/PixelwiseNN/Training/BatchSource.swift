import PixelwiseCore

/// Where training batches come from: patch samplers, data sets with augmentation, or fixed arrays.
public protocol BatchSource {
    /// The next batch: input (B, C, [D,] H, W) and its target, labels (B, [D,] h, w) flattened
    /// row-major, where (h, w) is the network's output size for that input.
    mutating func nextBatch() throws -> (input: Tensor, target: Target)
}

/// A fixed list of batches served in turn, round and round (overfitting tests, tiny data sets).
public struct ArrayBatchSource: BatchSource {
    public var batches: [(input: Tensor, target: Target)]
    /// Index of the next batch.
    public var position = 0

    public init(_ batches: [(input: Tensor, target: Target)]) { self.batches = batches }

    public mutating func nextBatch() throws -> (input: Tensor, target: Target) {
        guard !batches.isEmpty else { throw PixelwiseError.invalidArgument("batch source: no batches") }
        defer { position = (position + 1) % batches.count }
        return batches[position]
    }
}
