import Dispatch
import Foundation
import CDNNL

/// Number of threads the kernels use (oneDNN's OpenMP pool and Pixelwise's own loops).
public enum Threads {
    nonisolated(unsafe) public private(set) static var count: Int = {
        if let s = getenv("OMP_NUM_THREADS"), let n = Int(String(cString: s)), n > 0 { return n }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }()

    /// Sets the thread count for oneDNN (through OpenMP) and for Pixelwise's own loops.
    public static func set(_ n: Int) {
        count = max(1, n)
        setenv("OMP_NUM_THREADS", String(count), 1)
        pw_omp_set_num_threads(Int32(count))
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
