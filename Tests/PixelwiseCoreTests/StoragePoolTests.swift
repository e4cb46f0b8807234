import Testing
@testable import PixelwiseCore

/// Serialized: `keepsNothingAboveTheLimit` sets the pool's global limit to 0 for a moment, which would
/// keep the other test's freed buffer out of the pool if they ran at the same time.
@Suite(.serialized) struct StoragePoolTests {
    /// A freed large buffer is handed to the next tensor of the same size (no new pages, no
    /// zero-fill by the kernel); small tensors bypass the pool.
    @Test func reusesFreedBuffersOfTheSameSize() {
        let count = 1_234_567  // an unusual size, so parallel tests do not take the buffer first
        StoragePool.enableForTraining()
        var first: UnsafeMutablePointer<Float>?
        do {
            let t = Tensor(uninitialized: [count])
            first = t.storage.pointer
        }
        let again = Tensor(uninitialized: [count])
        #expect(again.storage.pointer == first)
        let zeros = Tensor(zeros: [count])  // a pooled buffer is still zeroed when asked for zeros
        #expect(zeros.maxAbs == 0)
    }

    @Test func keepsNothingAboveTheLimit() {
        #expect(StoragePool.minimumBytes == 1 << 20)
        let count = 2_345_678
        var first: UnsafeMutablePointer<Float>?
        let saved = StoragePool.limitBytes
        StoragePool.limitBytes = 0
        do { first = Tensor(uninitialized: [count]).storage.pointer }
        StoragePool.limitBytes = saved
        // Freed, not pooled: the next tensor of that size does not come from the pool (malloc may
        // reuse the address by chance, so only the pool's own bookkeeping is checked).
        #expect(StoragePool.heldBytes(ofSize: count * 4) == 0)
        _ = first
    }
}
