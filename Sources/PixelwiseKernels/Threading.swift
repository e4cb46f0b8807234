import Dispatch
import Foundation
import CDNNL

/// Number of threads the kernels use (oneDNN's OpenMP pool and Pixelwise's own loops).
public enum Threads {
    /// OpenMP's thread pool is one per process, so this is process-wide state (set once, by the
    /// command line's `--threads`), kept behind a lock.
    private static let storage = Storage()

    private final class Storage: @unchecked Sendable {
        let lock = NSLock()
        var count: Int = {
            if let s = getenv("OMP_NUM_THREADS"), let n = Int(String(cString: s)), n > 0 { return n }
            return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        }()
    }

    public static var count: Int { storage.lock.withLock { storage.count } }

    /// Sets the thread count for oneDNN (through OpenMP) and for Pixelwise's own loops.
    public static func set(_ n: Int) {
        let n = max(1, n)
        storage.lock.withLock { storage.count = n }
        setenv("OMP_NUM_THREADS", String(n), 1)
        pw_omp_set_num_threads(Int32(n))
    }
}

/// Runs `body(i)` for i in 0..<count on up to `Threads.count` threads, in contiguous chunks.
public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    let workers = min(Threads.count, count)
    if workers <= 1 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = count * w / workers, end = count * (w + 1) / workers
            for i in start..<end { box.value(i) }
        }
    }
}

/// Carries a value into a concurrent closure; the caller guarantees the accesses do not race
/// (each worker writes a disjoint range).
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
