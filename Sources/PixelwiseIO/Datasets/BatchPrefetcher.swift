import Foundation

/// Produces the next items (training batches) on background threads while the caller consumes
/// the current one, holding at most `capacity` finished or in-progress items ahead.
///
/// Items are requested by index (start, start+1, …) from a `produce` function that must depend
/// only on the index (as `PatchBatchSource.batch(_:)` does), and are handed out strictly in index
/// order: the sequence is the same as calling `produce` synchronously, whatever the thread timing
/// and the number of workers.
public final class BatchPrefetcher<Item: Sendable>: Sendable {
    private let state: State

    /// - Parameters:
    ///   - capacity: how many items may be in flight or waiting (≥ 1; 2–4 hides most latency).
    ///   - start: the first index (a resumed run starts at its saved batch index).
    ///   - workers: background threads (1 is enough unless producing is slower than training).
    public init(capacity: Int = 3, start: Int = 0, workers: Int = 1, produce: @escaping @Sendable (Int) throws -> Item) {
        state = State(capacity: max(1, capacity), start: start, produce: produce)
        for _ in 0..<max(1, workers) {
            let state = self.state
            let thread = Thread { state.work() }
            thread.name = "pixelwise.prefetch"
            thread.start()
        }
    }

    deinit { state.stop() }

    /// The next item in index order; blocks until it is ready. Rethrows the producer's error for
    /// that index.
    public func next() throws -> Item {
        try state.take().get()
    }

    /// Stops the workers after their current item; `next()` must not be called afterwards.
    public func stop() { state.stop() }

    /// Shared between the consumer and the workers; every field is guarded by `condition`.
    private final class State: @unchecked Sendable {
        let condition = NSCondition()
        let capacity: Int
        let produce: @Sendable (Int) throws -> Item
        var nextToClaim: Int
        var nextToTake: Int
        var ready: [Int: Result<Item, Error>] = [:]
        var stopped = false

        init(capacity: Int, start: Int, produce: @escaping @Sendable (Int) throws -> Item) {
            self.capacity = capacity
            self.produce = produce
            nextToClaim = start
            nextToTake = start
        }

        func work() {
            while true {
                condition.lock()
                while !stopped && nextToClaim - nextToTake >= capacity { condition.wait() }
                if stopped { condition.unlock(); return }
                let index = nextToClaim
                nextToClaim += 1
                condition.unlock()

                let result = Result { try produce(index) }

                condition.lock()
                ready[index] = result
                condition.broadcast()
                condition.unlock()
            }
        }

        func take() -> Result<Item, Error> {
            condition.lock()
            defer { condition.unlock() }
            while ready[nextToTake] == nil { condition.wait() }
            let result = ready.removeValue(forKey: nextToTake)!
            nextToTake += 1
            condition.broadcast()
            return result
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }
    }
}
