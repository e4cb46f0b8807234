import CDNNL
import Foundation
import PixelwiseCore

/// A created oneDNN primitive with its descriptor. Creating one costs far more than running a small
/// one (docs/performance.md), so every kernel looks its primitives up in `PrimitiveCache` by a key
/// made of everything that defines them.
final class Primitive: @unchecked Sendable {
    let descriptor: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t

    /// Takes ownership of `descriptor`.
    init(descriptor: dnnl_primitive_desc_t) {
        self.descriptor = descriptor
        var p: dnnl_primitive_t?
        check(dnnl_primitive_create(&p, descriptor), "primitive_create")
        primitive = p!
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
    }

    /// The memory descriptor the primitive chose for one of its arguments.
    func memoryDescriptor(_ query: dnnl_query_t, _ index: Int32 = 0) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(descriptor, query, index)!.pointee
    }

    /// The primitive's own scratch memory (primitives are made with a user-managed scratchpad, see
    /// `makePrimitiveDescriptor`), allocated at the first run; nil if it needs none. Only touched under
    /// the engine lock, so one buffer per primitive suffices.
    private var scratchpadMemory: Memory??

    private func scratchpad() -> Memory? {
        if let known = scratchpadMemory { return known }
        var md = memoryDescriptor(dnnl_query_scratchpad_md)
        let memory = dnnl_memory_desc_get_size(&md) > 0 ? Memory(allocating: md) : nil
        scratchpadMemory = .some(memory)
        return memory
    }

    /// Runs the primitive on the given arguments and waits for it.
    func execute(_ arguments: [(Int32, Memory)]) {
        Engine.shared.lock.lock()
        defer { Engine.shared.lock.unlock() }
        var args = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        // Callers that manage a shared scratchpad (inference programs) pass their own.
        if !arguments.contains(where: { $0.0 == DNNL_ARG_SCRATCHPAD }), let scratchpad = scratchpad() { args.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchpad.handle)) }
        check(dnnl_primitive_execute(primitive, Engine.shared.stream, Int32(args.count), &args), "primitive_execute")
        Engine.shared.wait()
        withExtendedLifetime(arguments) {}
    }
}

/// A oneDNN memory object over memory that Pixelwise owns (a tensor's storage or a scratch buffer).
final class Memory {
    let handle: dnnl_memory_t
    let descriptor: dnnl_memory_desc_t
    /// Scratch this object allocated: a `TensorStorage`, so that large blocks come from and go back
    /// to `StoragePool` (training reorders the same sizes into oneDNN's blocked formats every step).
    private let owned: TensorStorage?

    /// Wraps `pointer` without copying.
    init(_ descriptor: dnnl_memory_desc_t, pointer: UnsafeMutableRawPointer) {
        var md = descriptor
        var h: dnnl_memory_t?
        check(dnnl_memory_create(&h, &md, Engine.shared.engine, pointer), "memory_create")
        handle = h!
        self.descriptor = descriptor
        owned = nil
    }

    /// Allocates scratch memory of the descriptor's size (64-byte aligned), freed with the object.
    init(allocating descriptor: dnnl_memory_desc_t) {
        var md = descriptor
        let bytes = max(dnnl_memory_desc_get_size(&md), 64)
        let storage = TensorStorage(count: (bytes + 3) / 4)
        var h: dnnl_memory_t?
        check(dnnl_memory_create(&h, &md, Engine.shared.engine, storage.pointer), "memory_create")
        handle = h!
        self.descriptor = descriptor
        owned = storage
    }

    var pointer: UnsafeMutableRawPointer {
        var p: UnsafeMutableRawPointer?
        check(dnnl_memory_get_data_handle(handle, &p), "get_data_handle")
        return p!
    }

    deinit {
        dnnl_memory_destroy(handle)
    }
}

/// Process-wide cache of primitives keyed by a description string.
final class PrimitiveCache: @unchecked Sendable {
    static let shared = PrimitiveCache()
    private var entries: [String: Primitive] = [:]
    private let lock = NSLock()

    func primitive(_ key: String, create: () throws -> dnnl_primitive_desc_t) rethrows -> Primitive {
        lock.lock()
        defer { lock.unlock() }
        if let p = entries[key] { return p }
        let p = Primitive(descriptor: try create())
        entries[key] = p
        return p
    }
}

/// Builds a primitive descriptor from an operation descriptor, optionally with a forward hint.
func makePrimitiveDescriptor(_ opDesc: UnsafeRawPointer, hint: Primitive? = nil, attributes: Attributes? = nil,
                             what: String) throws -> dnnl_primitive_desc_t {
    // oneDNN's library-managed scratchpad is per thread and tied to the thread that created the
    // primitive: a cached gemm-based convolution (x64:gemm:jit backward weights) created on one thread
    // and run on another wrote through a null scratch pointer. Primitives built without explicit
    // attributes therefore get a user-managed scratchpad, which `Primitive.execute` passes in.
    let attr = attributes ?? Attributes(userScratchpad: true)
    var pd: dnnl_primitive_desc_t?
    try withExtendedLifetime(attr) {
        try attempt(dnnl_primitive_desc_create(&pd, opDesc, attr.handle, Engine.shared.engine, hint?.descriptor), what)
    }
    return pd!
}

/// A set of strings behind a lock, for caches shared by every thread.
final class LockedSet: @unchecked Sendable {
    private var members: Set<String> = []
    private let lock = NSLock()

    func contains(_ member: String) -> Bool { lock.withLock { members.contains(member) } }
    func insert(_ member: String) { lock.withLock { _ = members.insert(member) } }
}
