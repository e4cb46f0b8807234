import CHDF5
import Foundation

/// The one door into libhdf5.
///
/// HDF5's serial build keeps process-wide state (the identifier table, the error stack, the
/// metadata cache, the open-file list) without locking, so two threads inside it at once corrupt
/// it. Swift Testing, data loaders and the CLI run work on several threads, so every HDF5 call in
/// Pixelwise is made inside `HDF5Library.locked { … }`, which holds one process-wide lock. The lock
/// is recursive because a locked method may call another (`close()` from `deinit`, `exists` from
/// `write`).
///
/// Debian 12's libhdf5 happens to be built with `H5_HAVE_THREADSAFE` (its own global mutex); the
/// lock costs nothing there and keeps us correct on builds without it. One consequence of that
/// build: HDF5's error stacks, and the switch that prints them, are *per thread*, so the printing
/// is turned off on every entry rather than once.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    private static let opened: Bool = { H5open() >= 0 }()

    /// Runs `body` while holding the HDF5 lock, with HDF5's automatic error printing off on this
    /// thread: a failed call would otherwise dump a dozen lines of C call stack to stderr, and
    /// users should see only Pixelwise's one-line message.
    static func locked<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        if opened { pw_h5_silence_errors() }
        return try body()
    }
}
