import Synchronization

/// Asks a running `TrainingSession` to save a checkpoint and stop at the next iteration.
///
/// The caller decides what stops a run: `pixelwise train` requests a stop from its SIGINT and
/// SIGTERM handlers (with the signal as the code), a Swift program from wherever it likes. Both
/// operations are lock-free atomics, so a signal handler may call `request(code:)`.
public final class StopRequest: Sendable {
    private let requested = Atomic<Bool>(false)
    private let storedCode = Atomic<Int32>(0)

    public init() {}

    /// Asks for the stop; `code` travels with it (under MPI, the code all processes agree on).
    /// Returns false when a stop had already been requested.
    @discardableResult
    public func request(code: Int32 = 0) -> Bool {
        storedCode.store(code, ordering: .relaxed)
        return !requested.exchange(true, ordering: .sequentiallyConsistent)
    }

    public var isRequested: Bool { requested.load(ordering: .sequentiallyConsistent) }

    /// The code given with the request (0 when none was given).
    public var code: Int32 { storedCode.load(ordering: .relaxed) }
}
