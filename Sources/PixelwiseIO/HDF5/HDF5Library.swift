import CHDF5
import Foundation

/// The one door into libhdf5.
///
/// Debian ships the *serial* HDF5 build: it keeps process-wide state (the identifier table, the
/// error stack, the metadata cache, open-file list) without any locking, so two threads inside
/// the library at once corrupt it. Swift Testing, data loaders and the CLI all run work on several
/// threads, so every HDF5 call in Pixelwise is made inside `HDF5Library.locked { … }`, which holds
/// one process-wide lock. The lock is recursive because a locked method may call another locked
/// method (`close()` from `deinit`, `exists` from `write`).
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// Opens the library once and turns off its automatic error-stack printing: a failed call
    /// would otherwise dump a dozen lines of C call stack to stderr, and users should see only
    /// Pixelwise's one-line message.
    private static let opened: Bool = {
        H5open() >= 0 && pw_h5_silence_errors() >= 0
    }()

    /// Runs `body` while holding the HDF5 lock.
    static func locked<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        _ = opened
        return try body()
    }
}
