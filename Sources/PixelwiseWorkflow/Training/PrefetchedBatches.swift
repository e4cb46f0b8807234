import PixelwiseCore
import PixelwiseIO
import PixelwiseNN

/// Feeds the trainer from the background prefetcher: batch k of the run is always the same
/// (it depends only on the seed and k), so a resumed run continues the same sequence.
public struct PrefetchedBatches: BatchSource {
    public let prefetcher: BatchPrefetcher<Batch>

    public init(prefetcher: BatchPrefetcher<Batch>) { self.prefetcher = prefetcher }

    public mutating func nextBatch() throws -> (input: Tensor, target: Target) {
        let batch = try prefetcher.next()
        return (batch.raw, Target(labels: batch.classes))
    }
}
