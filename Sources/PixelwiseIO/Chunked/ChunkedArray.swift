#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PixelwiseCore

/// The store formats Pixelwise reads and writes as directories of chunk files.
public enum ChunkedFormat: String, Sendable, CaseIterable {
    case zarr2 = "zarr v2"
    case zarr3 = "zarr v3"
    case n5 = "N5"
}

/// What to do with a write that covers only part of a chunk.
public enum PartialChunkWrites: Sendable {
    /// Refuse it (before anything is written): writers aligned with the chunk grid never need it,
    /// and read-modify-write is not safe when two writers share a chunk.
    case refuse
    /// Read the chunk (or start from the fill value), put the new values in, write it back
    /// atomically. Safe for one writer per chunk at a time only.
    case readModifyWrite
}

/// One array of a zarr (v2, v3) or N5 directory store, read and written a box at a time.
///
/// The array's axes, slowest first (NumPy/zarr order; N5's attributes list them reversed) are
/// (y, x), (z, y, x) or (c, z, y, x); a volume's channels are the leading axis of a 4-D array.
/// Chunks are files; a missing chunk reads as the fill value. Every chunk is written whole and
/// atomically (`AtomicFile`: temporary file and rename in the chunk's own folder), so writers on
/// different chunks never interfere and a killed writer leaves no torn chunk. A damaged or
/// truncated chunk is one `PixelwiseError.file` naming the chunk's file and the problem.
///
/// Memory: reading or writing a box holds the box's values and one decoded chunk at a time.
public final class ChunkedArray: VolumeReading, VolumeWriting, @unchecked Sendable {
    /// The array's folder.
    public let path: String
    public let format: ChunkedFormat
    /// Array dims, slowest first (rank 2, 3 or 4).
    public let shape: [Int]
    public let chunkShape: [Int]
    public let dataType: ChunkDataType
    public let codec: ChunkCodec
    /// The order the chunk's elements are stored in: stored axis i is array axis `order[i]`, the
    /// stored array in C order. Identity for C order, reversed for F order (zarr v2 `order: F`,
    /// zarr v3 `transpose`).
    public let order: [Int]
    public let fillValue: Float
    public let geometry: VolumeGeometry
    public let partialChunks: PartialChunkWrites
    /// The chunk key's separator ("/" or ".") and, for zarr v3's default encoding, its "c" prefix.
    let separator: String
    let keyPrefix: String?

    public var name: String { path }
    public var chunkSize: [Int]? { Array(paddedChunk.suffix(3)) }

    /// Shape and chunk padded to (c, z, y, x).
    let paddedShape: [Int]
    let paddedChunk: [Int]

    init(path: String, format: ChunkedFormat, shape: [Int], chunkShape: [Int], dataType: ChunkDataType, codec: ChunkCodec,
         order: [Int]? = nil, fillValue: Float, spacing: [Double]?, separator: String, keyPrefix: String?,
         partialChunks: PartialChunkWrites = .refuse) throws {
        self.path = path
        self.format = format
        guard (2...4).contains(shape.count) else {
            throw PixelwiseError.file(path: path, problem: "a \(shape.count)-D array is not an image or volume (expected (y, x), (z, y, x) or (c, z, y, x))")
        }
        guard chunkShape.count == shape.count, chunkShape.allSatisfy({ $0 > 0 }), shape.allSatisfy({ $0 > 0 }) else {
            throw PixelwiseError.file(path: path, problem: "chunk shape \(Shape(chunkShape)) does not fit array shape \(Shape(shape))")
        }
        // Damaged or hostile metadata must not overflow an index or make one chunk take the machine.
        guard let elements = ChunkedArray.checkedProduct(shape), elements <= 1 << 52 else {
            throw PixelwiseError.file(path: path, problem: "array shape \(Shape(shape)) is impossibly large")
        }
        guard let chunkElements = ChunkedArray.checkedProduct(chunkShape), chunkElements <= ChunkedArray.largestChunkBytes / dataType.size else {
            throw PixelwiseError.file(path: path, problem: "chunks of \(Shape(chunkShape)) \(dataType.kind.rawValue) exceed \(ChunkedArray.largestChunkBytes >> 20) MiB each")
        }
        let order = order ?? Array(0..<shape.count)
        guard order.sorted() == Array(0..<shape.count) else {
            throw PixelwiseError.file(path: path, problem: "axis order \(order) is not a permutation of the array's \(shape.count) axes")
        }
        self.shape = shape
        self.chunkShape = chunkShape
        self.dataType = dataType
        self.codec = codec
        self.order = order
        self.fillValue = fillValue
        self.separator = separator
        self.keyPrefix = keyPrefix
        self.partialChunks = partialChunks
        let pad = 4 - shape.count
        paddedShape = Array(repeating: 1, count: pad) + shape
        paddedChunk = Array(repeating: 1, count: pad) + chunkShape
        var space = spacing ?? [1, 1, 1]
        if space.count != 3 { space = Array((Array(repeating: 1.0, count: 3) + space).suffix(3)) }
        geometry = VolumeGeometry(channels: paddedShape[0], size: Array(paddedShape.suffix(3)), spacing: space,
                                  sampleType: dataType.sampleType)
    }

    /// The largest decoded chunk Pixelwise reads or writes (zarr and N5 tools use a few MB).
    public static let largestChunkBytes = 1 << 30

    /// The product of `values`, nil when it overflows.
    static func checkedProduct(_ values: [Int]) -> Int? {
        var product = 1
        for value in values {
            let (next, overflow) = product.multipliedReportingOverflow(by: value)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// The same array, written with another partial-chunk policy.
    public func writing(partialChunks policy: PartialChunkWrites) throws -> ChunkedArray {
        try ChunkedArray(path: path, format: format, shape: shape, chunkShape: chunkShape, dataType: dataType, codec: codec,
                         order: order, fillValue: fillValue, spacing: geometry.spacing, separator: separator,
                         keyPrefix: keyPrefix, partialChunks: policy)
    }

    /// Chunks along each array axis.
    public var chunkCounts: [Int] { zip(shape, chunkShape).map { ($0 + $1 - 1) / $1 } }

    /// The chunk's key relative to the array folder: "0.1.2" (zarr v2), "c/0/1/2" (zarr v3),
    /// "2/1/0" (N5: reversed).
    public func chunkKey(_ index: [Int]) -> String {
        let parts = (format == .n5 ? index.reversed() : index).map(String.init)
        return ((keyPrefix.map { [$0] } ?? []) + parts).joined(separator: separator)
    }

    public func chunkPath(_ index: [Int]) -> String { path + "/" + chunkKey(index) }

    // MARK: - Reading

    public func read(_ box: VoxelBox) throws -> [Float] {
        guard box.isInside(geometry.size) else {
            throw PixelwiseError.invalidArgument("\(name): box \(box) lies outside the volume \(Shape(geometry.size))")
        }
        let lo = [0] + box.origin, hi = [paddedShape[0]] + box.end
        let outShape = zip(hi, lo).map { $0 - $1 }
        var out = [Float](repeating: fillValue, count: outShape.reduce(1, *))
        for chunk in chunks(from: lo, to: hi) {
            guard let (values, blockShape) = try loadChunk(chunk) else { continue }
            let origin = zip(chunk, paddedChunk).map { $0 * $1 }
            ChunkedArray.copy(from: values, shape: blockShape, origin: origin, into: &out, shape: outShape, origin: lo,
                              lo: zip(lo, origin).map { max($0, $1) },
                              hi: (0..<4).map { min(hi[$0], origin[$0] + blockShape[$0]) })
        }
        return out
    }

    /// The padded (c, z, y, x) indices of every chunk that meets [lo, hi).
    func chunks(from lo: [Int], to hi: [Int]) -> [[Int]] {
        var result: [[Int]] = [[]]
        for a in 0..<4 {
            let range = (lo[a] / paddedChunk[a])...((hi[a] - 1) / paddedChunk[a])
            result = result.flatMap { prefix in range.map { prefix + [$0] } }
        }
        return result
    }

    /// The chunk's array index (rank n) from its padded index.
    func arrayIndex(_ padded: [Int]) -> [Int] { Array(padded.suffix(shape.count)) }

    /// The size of the chunk inside the array (edge chunks are cut off), padded to 4-D.
    func clippedSize(_ padded: [Int]) -> [Int] {
        (0..<4).map { min(paddedChunk[$0], paddedShape[$0] - padded[$0] * paddedChunk[$0]) }
    }

    /// A chunk's values (padded C order over its stored block shape) or nil when the chunk file is
    /// missing (fill value).
    func loadChunk(_ padded: [Int]) throws -> (values: [Float], shape: [Int])? {
        let file = chunkPath(arrayIndex(padded))
        var info = stat()
        if stat(file, &info) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw FileBytes.failure(file, errno)
        }
        let bytes = try FileBytes.read(file)
        do {
            return try decodeChunk(bytes, padded: padded)
        } catch let PixelwiseError.invalidArgument(problem) {
            throw PixelwiseError.file(path: file, problem: "damaged \(format.rawValue) chunk: \(problem)")
        }
    }

    /// Decodes a chunk file's bytes: framing (N5's header), codec, data type, axis order. Problems
    /// are `invalidArgument` in words, named by the caller.
    func decodeChunk(_ bytes: [UInt8], padded: [Int]) throws -> (values: [Float], shape: [Int]) {
        var payload = bytes
        var block = chunkShape
        if format == .n5 {
            (block, payload) = try N5Store.unframe(bytes, rank: shape.count)
            let clipped = Array(clippedSize(padded).suffix(shape.count))
            guard zip(block, clipped).allSatisfy({ $0 >= $1 }), zip(block, chunkShape).allSatisfy({ $0 <= $1 }) else {
                throw ChunkCodec.problem("its header says a block of \(Shape(block)), expected \(Shape(clipped))")
            }
        }
        let count = block.reduce(1, *)
        let raw = try codec.decode(payload, expectedCount: count * dataType.size)
        var values = try dataType.floats(from: raw, count: count)
        if order != Array(0..<shape.count) { values = ChunkedArray.fromStored(values, shape: block, order: order) }
        return (values, Array(repeating: 1, count: 4 - shape.count) + block)
    }

    // MARK: - Writing

    public func write(_ values: [Float], at box: VoxelBox) throws {
        guard box.isInside(geometry.size) else {
            throw PixelwiseError.invalidArgument("\(name): box \(box) lies outside the volume \(Shape(geometry.size))")
        }
        guard values.count == geometry.channels * box.voxels else {
            throw PixelwiseError.invalidArgument("\(name): \(values.count) values for box \(box) with \(geometry.channels) channel(s)")
        }
        let lo = [0] + box.origin, hi = [paddedShape[0]] + box.end
        let inShape = zip(hi, lo).map { $0 - $1 }
        let touched = chunks(from: lo, to: hi)
        if partialChunks == .refuse {
            for chunk in touched where !isCovered(chunk, lo: lo, hi: hi) {
                throw PixelwiseError.file(path: path, problem: "the box \(box) covers only part of chunk \(chunkKey(arrayIndex(chunk))) (chunks are \(Shape(chunkShape))); write boxes aligned with the chunks, or open the array for read-modify-write")
            }
        }
        for chunk in touched {
            let origin = zip(chunk, paddedChunk).map { $0 * $1 }
            // zarr stores every chunk whole (edge chunks padded with the fill value); N5 cuts them off.
            let blockShape = format == .n5 ? clippedSize(chunk) : paddedChunk
            var block: [Float]
            if isCovered(chunk, lo: lo, hi: hi) {
                block = [Float](repeating: fillValue, count: blockShape.reduce(1, *))
            } else if let (old, oldShape) = try loadChunk(chunk) {
                block = [Float](repeating: fillValue, count: blockShape.reduce(1, *))
                ChunkedArray.copy(from: old, shape: oldShape, origin: origin, into: &block, shape: blockShape, origin: origin,
                                  lo: origin, hi: (0..<4).map { origin[$0] + min(oldShape[$0], blockShape[$0]) })
            } else {
                block = [Float](repeating: fillValue, count: blockShape.reduce(1, *))
            }
            ChunkedArray.copy(from: values, shape: inShape, origin: lo, into: &block, shape: blockShape, origin: origin,
                              lo: zip(lo, origin).map { max($0, $1) },
                              hi: (0..<4).map { min(hi[$0], origin[$0] + blockShape[$0]) })
            try writeChunk(block, shape: Array(blockShape.suffix(shape.count)), index: arrayIndex(chunk))
        }
    }

    /// Whether [lo, hi) covers the whole of the chunk's part inside the array.
    func isCovered(_ chunk: [Int], lo: [Int], hi: [Int]) -> Bool {
        let size = clippedSize(chunk)
        return (0..<4).allSatisfy {
            let start = chunk[$0] * paddedChunk[$0]
            return lo[$0] <= start && hi[$0] >= start + size[$0]
        }
    }

    /// Encodes a chunk (C order over `shape`, rank n) and writes it atomically.
    func writeChunk(_ values: [Float], shape block: [Int], index: [Int]) throws {
        let stored = order == Array(0..<shape.count) ? values : ChunkedArray.toStored(values, shape: block, order: order)
        var bytes = try codec.encode(dataType.bytes(from: stored), typeSize: dataType.size)
        if format == .n5 { bytes = N5Store.frame(bytes, block: block) }
        let file = chunkPath(index)
        if let slash = file.lastIndex(of: "/") { try ChunkedStores.makeFolders(String(file[..<slash])) }
        try AtomicFile.write(bytes, to: file)
    }

    public func finish() throws {}

    // MARK: - Helpers

    /// Copies the part [lo, hi) (absolute, padded 4-D coordinates) from a C-order block at
    /// `sourceOrigin` to one at `targetOrigin`.
    static func copy(from source: [Float], shape sourceShape: [Int], origin sourceOrigin: [Int],
                     into target: inout [Float], shape targetShape: [Int], origin targetOrigin: [Int], lo: [Int], hi: [Int]) {
        guard (0..<4).allSatisfy({ lo[$0] < hi[$0] }) else { return }
        let width = hi[3] - lo[3]
        source.withUnsafeBufferPointer { s in
            target.withUnsafeMutableBufferPointer { t in
                for c in lo[0]..<hi[0] {
                    for z in lo[1]..<hi[1] {
                        for y in lo[2]..<hi[2] {
                            let si = (((c - sourceOrigin[0]) * sourceShape[1] + z - sourceOrigin[1]) * sourceShape[2] + y - sourceOrigin[2])
                                * sourceShape[3] + lo[3] - sourceOrigin[3]
                            let ti = (((c - targetOrigin[0]) * targetShape[1] + z - targetOrigin[1]) * targetShape[2] + y - targetOrigin[2])
                                * targetShape[3] + lo[3] - targetOrigin[3]
                            (t.baseAddress! + ti).update(from: s.baseAddress! + si, count: width)
                        }
                    }
                }
            }
        }
    }

    /// C-order values of `shape` from the stored order (stored axis i = axis `order[i]`).
    static func fromStored(_ stored: [Float], shape: [Int], order: [Int]) -> [Float] {
        var out = [Float](repeating: 0, count: stored.count)
        permute(shape: shape, order: order) { out[$0] = stored[$1] }
        return out
    }

    static func toStored(_ values: [Float], shape: [Int], order: [Int]) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        permute(shape: shape, order: order) { out[$1] = values[$0] }
        return out
    }

    /// Calls `body(C-order index, stored index)` for every element of an array of `shape`.
    private static func permute(shape: [Int], order: [Int], _ body: (Int, Int) -> Void) {
        let n = shape.count
        var storedStride = [Int](repeating: 1, count: n)
        var running = 1
        for i in stride(from: n - 1, through: 0, by: -1) {
            storedStride[order[i]] = running
            running *= shape[order[i]]
        }
        let total = shape.reduce(1, *)
        guard total > 0 else { return }
        var counter = [Int](repeating: 0, count: n)
        var storedIndex = 0
        for linear in 0..<total {
            body(linear, storedIndex)
            var a = n - 1
            while a >= 0 {
                counter[a] += 1
                storedIndex += storedStride[a]
                if counter[a] < shape[a] { break }
                storedIndex -= storedStride[a] * shape[a]
                counter[a] = 0
                a -= 1
            }
        }
    }
}
