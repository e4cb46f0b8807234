#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Keeps freed large tensor buffers for reuse by the next tensor of the same byte size.
///
/// glibc hands every block above 32 MB straight back to the kernel, so a training step that
/// allocates a few GB of activations and gradients pays a page fault and a zero-fill per 4 KB
/// page, every step (≈ 1 s of system time per U-Net step on 2 cores). Training allocates the
/// same sizes step after step, so an exact-size free list removes nearly all of that. Only
/// blocks of at least `minimumBytes` are pooled, and at most `limitBytes` are kept; a block that
/// does not fit is freed as before.
///
/// Off (limit 0) until something turns it on: `Graph.forward` in training mode calls
/// `enableForTraining()`. Inference does not need it (plans keep one arena), and a pool would
/// only keep freed memory resident there.
public enum StoragePool {
    public static let minimumBytes = 1 << 20
    /// The limit `enableForTraining()` sets.
    public static let trainingLimitBytes = 4 << 30

    /// Turns pooling on with `trainingLimitBytes`, unless a limit was set explicitly.
    public static func enableForTraining() {
        state.withLock { s in
            if !s.configured { s.limit = trainingLimitBytes; s.configured = true }
        }
    }

    /// Upper bound of the bytes kept in the pool (0, the default, turns pooling off).
    public static var limitBytes: Int {
        get { state.withLock { $0.limit } }
        set { state.withLock { $0.limit = max(0, newValue); $0.configured = true; $0.trim() } }
    }

    struct State {
        var free: [Int: [UnsafeMutableRawPointer]] = [:]
        var order: [(bytes: Int, pointer: UnsafeMutableRawPointer)] = []
        var held = 0
        var limit = 0
        var configured = false

        /// Frees the oldest blocks until the pool holds at most `limit` bytes.
        mutating func trim() {
            while held > limit, !order.isEmpty {
                let (bytes, pointer) = order.removeFirst()
                if var list = free[bytes], let k = list.firstIndex(of: pointer) {
                    list.remove(at: k)
                    free[bytes] = list.isEmpty ? nil : list
                    held -= bytes
                    Glibc.free(pointer)
                }
            }
        }
    }
    private static let state = Mutex(State())

    /// A 64-byte-aligned block of `bytes`, from the pool if it has one of that size.
    static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes >= minimumBytes, let p = state.withLock({ s -> UnsafeMutableRawPointer? in
            guard var list = s.free[bytes], let p = list.popLast() else { return nil }
            s.free[bytes] = list.isEmpty ? nil : list
            s.held -= bytes
            if let k = s.order.firstIndex(where: { $0.pointer == p }) { s.order.remove(at: k) }
            return p
        }) {
            return p
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("Pixelwise: out of memory allocating \(bytes) bytes")
        }
        return raw
    }

    /// Returns a block from `allocate` (kept for reuse, or freed).
    static func release(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        guard bytes >= minimumBytes else { return free(pointer) }
        let kept = state.withLock { s -> Bool in
            guard s.held + bytes <= s.limit else { return false }
            s.free[bytes, default: []].append(pointer)
            s.order.append((bytes, pointer))
            s.held += bytes
            return true
        }
        if !kept { free(pointer) }
    }

    /// Bytes currently pooled in blocks of exactly `bytes`.
    public static func heldBytes(ofSize bytes: Int) -> Int {
        state.withLock { ($0.free[bytes]?.count ?? 0) * bytes }
    }

    /// Frees every pooled block.
    public static func drain() {
        state.withLock { s in
            let limit = s.limit
            s.limit = 0
            s.trim()
            s.limit = limit
        }
    }
}
