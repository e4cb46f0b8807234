import PixelwiseCore
import PixelwiseNN
import PixelwiseCore

/// Tschopp's error masking whose draws for batch k depend only on (seed, k).
///
/// `ErrorMasked` keeps one generator that advances with every batch; a resumed run would start
/// that generator afresh and mask other pixels than the uninterrupted run. Re-seeding it per
/// batch from the batch index (the trainer's iteration when one batch makes one iteration, as
/// in `pixelwise train`) makes the masks a function of the iteration, so resuming at
/// iteration k continues the same sequence.
public struct ResumableErrorMasking<Base: Loss>: Loss {
    public var masked: ErrorMasked<Base>
    public let seed: UInt64
    /// The index of the next batch; set to the start iteration when resuming.
    public var batchIndex: Int

    public init(_ base: Base, seed: UInt64, startingAt batchIndex: Int) {
        masked = ErrorMasked(base, seed: seed)
        self.seed = seed
        self.batchIndex = batchIndex
    }

    public mutating func evaluate(_ output: Tensor, _ target: Target) throws -> (value: Float, gradient: Tensor) {
        // A different odd multiplier from the batch sampler's, so masks and patches do not share draws.
        masked.generator = SeededGenerator(seed: seed ^ (UInt64(truncatingIfNeeded: batchIndex) &+ 1) &* 0x9E37_79B9_7F4A_7C15)
        batchIndex += 1
        return try masked.evaluate(output, target)
    }
}
