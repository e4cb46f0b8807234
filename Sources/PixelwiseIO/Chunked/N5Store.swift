import Foundation
import PixelwiseCore

/// N5 (https://github.com/saalfeldlab/n5, the format's spec is its README): a dataset is a folder
/// whose `attributes.json` has `dimensions`, `blockSize`, `dataType` and `compression`, listed
/// fastest axis first (x, y, z — reversed with respect to zarr and NumPy); each block is a file
/// `X/Y/Z` holding a big-endian header (mode, rank, the block's own dims, cut off at the array's
/// edge) and the compressed big-endian elements. Blocks are read into and written from the same
/// (slowest-first) arrays as zarr chunks.
enum N5Store {
    /// The N5 dataset in `folder`, or nil when its attributes have no dimensions (a group, or not N5).
    static func open(_ folder: String) throws -> ChunkedArray? {
        let file = folder + "/attributes.json"
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        let meta = try JSONFile.object(file)
        guard meta["dimensions"] != nil else { return nil }
        func fail(_ problem: String) -> PixelwiseError { .file(path: file, problem: problem) }
        guard let dims = JSONFile.ints(meta["dimensions"]), let block = JSONFile.ints(meta["blockSize"]) else {
            throw fail("dimensions or blockSize missing or not lists of integers")
        }
        guard let typeName = meta["dataType"] as? String, let dataType = ChunkDataType(name: typeName, bigEndian: true) else {
            throw fail("dataType \(JSONFile.text(meta["dataType"] ?? "missing")) is not supported (uint8 … int64, float32, float64)")
        }
        let codec: ChunkCodec
        do { codec = try self.codec(meta) } catch let PixelwiseError.invalidArgument(problem) { throw fail(problem) }
        var spacing: [Double]? = nil
        if let resolution = (meta["resolution"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.doubleValue }), !resolution.isEmpty {
            spacing = Array(([1.0, 1.0, 1.0] + resolution.reversed()).suffix(3))
        } else if let pixel = (meta["pixelResolution"] as? [String: Any])?["dimensions"] as? [Any] {
            let values = pixel.compactMap { ($0 as? NSNumber)?.doubleValue }
            if !values.isEmpty { spacing = Array(([1.0, 1.0, 1.0] + values.reversed()).suffix(3)) }
        }
        return try ChunkedArray(path: folder, format: .n5, shape: dims.reversed(), chunkShape: block.reversed(), dataType: dataType,
                                codec: codec, fillValue: 0, spacing: spacing, separator: "/", keyPrefix: nil)
    }

    /// `compression` ({"type": …}) or the old `compressionType`: raw, gzip (zlib with `useZlib`),
    /// zstd (n5-zstandard), blosc (n5-blosc).
    static func codec(_ meta: [String: Any]) throws -> ChunkCodec {
        let object = meta["compression"] as? [String: Any] ?? [:]
        let type = object["type"] as? String ?? meta["compressionType"] as? String ?? "raw"
        let level = JSONFile.int(object["level"])
        switch type {
        case "raw": return .raw
        case "gzip": return object["useZlib"] as? Bool == true ? .zlib(level: level ?? -1) : .gzip(level: level ?? -1)
        case "zstd": return .zstd(level: level ?? 3)
        case "blosc":
            return .blosc(.init(compressor: object["cname"] as? String ?? "lz4", level: JSONFile.int(object["clevel"]) ?? 5,
                                shuffle: ChunkCodec.Blosc.Shuffle(rawValue: JSONFile.int(object["shuffle"]) ?? 1) ?? .byte,
                                blockSize: JSONFile.int(object["blocksize"]) ?? 0))
        default: throw PixelwiseError.invalidArgument("compression \(type) is not supported (raw, gzip, zstd, blosc)")
        }
    }

    /// The block's shape (slowest first) and its compressed payload, from a block file's bytes.
    static func unframe(_ bytes: [UInt8], rank: Int) throws -> (block: [Int], payload: [UInt8]) {
        func u16(_ at: Int) -> Int { Int(bytes[at]) << 8 | Int(bytes[at + 1]) }
        func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 << 8 | Int(bytes[at + $1]) } }
        guard bytes.count >= 4 else { throw ChunkCodec.problem("truncated block header (\(bytes.count) bytes)") }
        let mode = u16(0), ndim = u16(2)
        guard mode == 0 || mode == 1 else { throw ChunkCodec.problem("block mode \(mode) is not supported (0 default, 1 varlength)") }
        guard ndim == rank else { throw ChunkCodec.problem("block header has \(ndim) dimensions, the dataset \(rank)") }
        var start = 4 + 4 * ndim + (mode == 1 ? 4 : 0)
        guard bytes.count >= start else { throw ChunkCodec.problem("truncated block header (\(bytes.count) bytes)") }
        let dims = (0..<ndim).map { u32(4 + 4 * $0) }
        // A varlength block is read only when its element count is the block's (dims up to 2³² each: checked product).
        if mode == 1, ChunkedArray.checkedProduct(dims) != u32(4 + 4 * ndim) {
            throw ChunkCodec.problem("varlength block of \(u32(4 + 4 * ndim)) elements is not supported")
        }
        start = min(start, bytes.count)
        return (dims.reversed(), Array(bytes[start...]))
    }

    /// A block file's bytes: header (mode 0) then `payload`.
    static func frame(_ payload: [UInt8], block: [Int]) -> [UInt8] {
        var header: [UInt8] = [0, 0, 0, UInt8(block.count)]
        for d in block.reversed() { header += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: d >> $0) } }
        return header + payload
    }

    /// Writes a new dataset's attributes (keeping other attributes already there).
    static func writeMetadata(_ array: ChunkedArray) throws {
        let file = array.path + "/attributes.json"
        var meta = (try? JSONFile.object(file)) ?? [:]
        meta["dimensions"] = Array(array.shape.reversed())
        meta["blockSize"] = Array(array.chunkShape.reversed())
        meta["dataType"] = array.dataType.kind.rawValue
        meta["resolution"] = Array(array.geometry.spacing.reversed())
        switch array.codec {
        case .raw: meta["compression"] = ["type": "raw"]
        case .gzip(let level): meta["compression"] = ["type": "gzip", "level": level, "useZlib": false]
        case .zlib(let level): meta["compression"] = ["type": "gzip", "level": level, "useZlib": true]
        case .zstd(let level, _): meta["compression"] = ["type": "zstd", "level": level]
        case .blosc(let b):
            meta["compression"] = ["type": "blosc", "cname": b.compressor, "clevel": b.level, "shuffle": b.shuffle.rawValue,
                                   "blocksize": b.blockSize, "nthreads": 1]
        }
        try JSONFile.write(meta, to: file)
    }

    /// The root's attributes say it is N5 (version 2.x), unless it has some.
    static func writeRoot(_ folder: String) throws {
        let file = folder + "/attributes.json"
        guard !FileManager.default.fileExists(atPath: file) else { return }
        try JSONFile.write(["n5": "2.5.1"], to: file)
    }
}
