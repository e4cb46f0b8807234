import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// How a tensor's elements are ordered in memory. The logical shape is always (N, C, [D,] H, W);
/// the layout only says where element (n, c, …) lives. Kernels pick the layout that makes them
/// fast (oneDNN's convolutions run ≈3× faster on channels-last activations than on NCHW), and a
/// tensor stays in it between layers; `scalars` and `inLayout(_:)` convert at the edges.
public enum Layout: String, Sendable, Hashable, Codable {
    /// NCHW / NCDHW (and plain row-major for any other rank).
    case rowMajor
    /// NHWC / NDHWC: the channel is the fastest-varying axis. Only for rank 4 and 5.
    case channelsLast
}

/// The memory behind a tensor: 64-byte-aligned floats, freed with the last tensor that uses it.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        let raw = StoragePool.allocate(max(count, 1) * MemoryLayout<Float>.stride)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Large buffers go back to `StoragePool` for the next tensor of the same size.
    deinit { StoragePool.release(UnsafeMutableRawPointer(pointer), bytes: max(count, 1) * MemoryLayout<Float>.stride) }
}

/// A float32 tensor of rank 1–5 with value semantics: copies share storage until one of them is
/// written (copy-on-write), so passing tensors around is cheap and no layer can change another
/// layer's input behind its back.
public struct Tensor: @unchecked Sendable, CustomStringConvertible {
    public let shape: Shape
    public let layout: Layout
    public private(set) var storage: TensorStorage

    public var count: Int { shape.count }
    public var rank: Int { shape.rank }

    /// A tensor of zeros.
    public init(zeros shape: Shape, layout: Layout = .rowMajor) {
        precondition(layout == .rowMajor || shape.rank >= 3, "channels-last needs rank ≥ 3, got \(shape)")
        self.shape = shape
        self.layout = layout
        storage = TensorStorage(count: shape.count)
        storage.pointer.initialize(repeating: 0, count: shape.count)
    }

    /// A tensor whose memory is not initialised: for kernels that overwrite every element.
    public init(uninitialized shape: Shape, layout: Layout = .rowMajor) {
        self.shape = shape
        self.layout = layout
        storage = TensorStorage(count: shape.count)
    }

    public init(repeating value: Float, shape: Shape, layout: Layout = .rowMajor) {
        self.init(uninitialized: shape, layout: layout)
        storage.pointer.update(repeating: value, count: shape.count)
    }

    /// A tensor from row-major (NCHW) values.
    public init(shape: Shape, scalars: [Float]) {
        precondition(scalars.count == shape.count, "Tensor: \(scalars.count) values for shape \(shape)")
        self.init(uninitialized: shape)
        scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: $0.count) }
    }

    /// A tensor with the given values in the given layout's memory order.
    public init(shape: Shape, layout: Layout, storageOrder values: [Float]) {
        precondition(values.count == shape.count)
        self.init(uninitialized: shape, layout: layout)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: $0.count) }
    }

    /// Uniform random values in `range`, reproducible from `seed`.
    public static func random(_ shape: Shape, in range: ClosedRange<Float> = -1...1, seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        let span = range.upperBound - range.lowerBound
        return Tensor(shape: shape, scalars: (0..<shape.count).map { _ in range.lowerBound + span * rng.nextUniform() })
    }

    /// Elements in row-major (NCHW) order, converted from the storage layout if needed.
    public var scalars: [Float] {
        let t = inLayout(.rowMajor)
        return Array(UnsafeBufferPointer(start: t.storage.pointer, count: count))
    }

    /// Elements in memory order.
    public var storageScalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// Read access to the elements in memory order.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Write access to the elements in memory order; copies first if the storage is shared.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage(count: count)
            copy.pointer.update(from: storage.pointer, count: count)
            storage = copy
        }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// The same values in `target` layout (no copy if already there).
    public func inLayout(_ target: Layout) -> Tensor {
        if target == layout || rank < 3 { return self }
        if shape[1] == 1 { return Tensor(storage: storage, shape: shape, layout: target) }  // same memory order
        let out = Tensor(uninitialized: shape, layout: target)
        let n = shape[0], c = shape[1], inner = shape.dims.dropFirst(2).reduce(1, *)
        let src = storage.pointer, dst = out.storage.pointer
        // One image at a time: [C][pixels] ↔ [pixels][C], a matrix transpose (CKernels, in blocks).
        let (rows, columns) = target == .channelsLast ? (c, inner) : (inner, c)
        for b in 0..<n { pw_transpose(src + b * c * inner, rows, columns, dst + b * c * inner) }
        return out
    }

    /// The same memory seen with another shape of equal element count (row-major tensors only).
    public func reshaped(_ newShape: Shape) -> Tensor {
        precondition(newShape.count == count, "reshape \(shape) → \(newShape): counts differ")
        let t = inLayout(.rowMajor)
        return Tensor(storage: t.storage, shape: newShape, layout: .rowMajor)
    }

    /// Wraps existing storage (for kernels that allocate their own outputs).
    public init(storage: TensorStorage, shape: Shape, layout: Layout) {
        precondition(storage.count >= shape.count)
        self.storage = storage
        self.shape = shape
        self.layout = layout
    }

    public var description: String {
        let values = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor\(shape)(\(values)\(count > 8 ? ", …" : ""))"
    }
}

extension Tensor {
    /// Largest |a − b| over all elements (layouts may differ).
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "compare \(shape) with \(other.shape)")
        let a = scalars, b = other.scalars
        var m: Float = 0
        for i in 0..<a.count { m = max(m, abs(a[i] - b[i])) }
        return m
    }

    /// Largest |element|.
    public var maxAbs: Float { withUnsafeBufferPointer { $0.reduce(0) { max($0, abs($1)) } } }

    /// Sum of all elements in double precision.
    public var sum: Double { withUnsafeBufferPointer { $0.reduce(0.0) { $0 + Double($1) } } }
}
