import PixelwiseIO
import PixelwiseCore
import PixelwiseNN

/// Feeds the trainer from the background prefetcher: batch k of the run is always the same
/// (it depends only on the seed and k), so a resumed run continues the same sequence.
struct PrefetchedBatches: BatchSource {
    let prefetcher: BatchPrefetcher<Batch>

    mutating func nextBatch() throws -> (input: Tensor, target: Target) {
        let batch = try prefetcher.next()
        return (batch.raw, Target(labels: batch.classes))
    }
}
