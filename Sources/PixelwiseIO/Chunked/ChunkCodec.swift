import CBlosc
import CZlib
import CZstd
import PixelwiseCore

/// How a chunk's bytes are compressed in a zarr or N5 store. The compression itself is Debian's C
/// libraries' (c-blosc, zlib, libzstd); this type only chooses and calls them.
///
/// `decode` is told how many bytes the chunk must decompress to and refuses anything else, so a
/// truncated or damaged chunk is always an error (its message is the problem; the caller names
/// the chunk's file).
public enum ChunkCodec: Sendable, Equatable, CustomStringConvertible {
    /// Stored as is.
    case raw
    /// A zlib stream (RFC 1950): numcodecs' `zlib`, N5 gzip with `useZlib`.
    case zlib(level: Int)
    /// A gzip stream (RFC 1952): numcodecs' `gzip`, zarr v3 `gzip`, N5 `gzip`.
    case gzip(level: Int)
    /// A Zstandard frame; `checksum` adds zstd's own frame checksum (zarr v3's option).
    case zstd(level: Int, checksum: Bool = false)
    /// A blosc 1 frame (which carries its own header: compressor, type size, sizes).
    case blosc(Blosc)

    /// Settings of the blosc codec: the compressor inside, its level, the shuffle and the block size.
    public struct Blosc: Sendable, Equatable {
        /// blosclz, lz4, lz4hc, zlib, zstd (or snappy, which Debian's c-blosc has but many builds
        /// of numcodecs do not read).
        public var compressor: String
        public var level: Int
        public var shuffle: Shuffle
        /// Bytes per block, 0 for blosc's automatic choice.
        public var blockSize: Int

        public enum Shuffle: Int, Sendable, CaseIterable {
            case none = 0, byte = 1, bit = 2
        }

        /// The compressors every blosc build reads.
        public static let compressors = ["blosclz", "lz4", "lz4hc", "zlib", "zstd"]

        public init(compressor: String = "lz4", level: Int = 5, shuffle: Shuffle = .byte, blockSize: Int = 0) {
            self.compressor = compressor
            self.level = level
            self.shuffle = shuffle
            self.blockSize = blockSize
        }
    }

    public var description: String {
        switch self {
        case .raw: "raw"
        case .zlib(let level): "zlib level \(level)"
        case .gzip(let level): "gzip level \(level)"
        case .zstd(let level, let checksum): "zstd level \(level)\(checksum ? " with checksum" : "")"
        case .blosc(let b): "blosc \(b.compressor) level \(b.level), \(b.shuffle == .none ? "no" : b.shuffle == .byte ? "byte" : "bit") shuffle"
        }
    }

    /// Checks settings the libraries would refuse or misread, so that a store is never created
    /// with a codec that cannot write it.
    public func validate() throws {
        switch self {
        case .raw: return
        case .zlib(let level), .gzip(let level):
            guard (-1...9).contains(level) else { throw PixelwiseError.invalidArgument("\(self): the level must be -1…9") }
        case .zstd(let level, _):
            guard (-131072...22).contains(level) else { throw PixelwiseError.invalidArgument("\(self): the level must be at most 22") }
        case .blosc(let b):
            guard blosc_compname_to_compcode(b.compressor) >= 0 else {
                throw PixelwiseError.invalidArgument("blosc compressor \(b.compressor) is not one of \(String(cString: blosc_list_compressors()))")
            }
            guard (0...9).contains(b.level) else { throw PixelwiseError.invalidArgument("\(self): the level must be 0…9") }
            guard b.blockSize >= 0 else { throw PixelwiseError.invalidArgument("\(self): negative block size") }
        }
    }

    /// The compressed bytes of `bytes`, whose elements are `typeSize` bytes wide (blosc shuffles by it).
    public func encode(_ bytes: [UInt8], typeSize: Int) throws -> [UInt8] {
        switch self {
        case .raw: return bytes
        case .zlib(let level): return try ChunkCodec.deflate(bytes, level: level, gzip: false)
        case .gzip(let level): return try ChunkCodec.deflate(bytes, level: level, gzip: true)
        case .zstd(let level, let checksum): return try ChunkCodec.zstdCompress(bytes, level: level, checksum: checksum)
        case .blosc(let settings): return try ChunkCodec.bloscCompress(bytes, settings, typeSize: typeSize)
        }
    }

    /// The decompressed bytes, which must be exactly `expectedCount` of them. Errors are
    /// `PixelwiseError.invalidArgument` holding the problem in words; callers turn them into
    /// file errors naming the chunk.
    public func decode(_ bytes: [UInt8], expectedCount: Int) throws -> [UInt8] {
        let out: [UInt8]
        switch self {
        case .raw: out = bytes
        case .zlib, .gzip: out = try ChunkCodec.inflate(bytes, expectedCount: expectedCount)
        case .zstd: out = try ChunkCodec.zstdDecompress(bytes, expectedCount: expectedCount)
        case .blosc: out = try ChunkCodec.bloscDecompress(bytes, expectedCount: expectedCount)
        }
        guard out.count == expectedCount else {
            throw ChunkCodec.problem("holds \(out.count) bytes, expected \(expectedCount)")
        }
        return out
    }

    static func problem(_ words: String) -> PixelwiseError { .invalidArgument(words) }

    // MARK: - zlib / gzip

    private static func deflate(_ bytes: [UInt8], level: Int, gzip: Bool) throws -> [UInt8] {
        var stream = z_stream()
        let windowBits: Int32 = gzip ? 15 + 16 : 15
        guard deflateInit2_(&stream, Int32(level), Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw problem("zlib cannot start compressing (level \(level))")
        }
        defer { deflateEnd(&stream) }
        let capacity = Int(deflateBound(&stream, uLong(bytes.count))) + 32
        var out = [UInt8](repeating: 0, count: capacity)
        var input = bytes
        let status: Int32 = input.withUnsafeMutableBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return zlibDeflate(&stream)
            }
        }
        guard status == Z_STREAM_END else { throw problem("zlib failed to compress (status \(status))") }
        out.removeLast(Int(stream.avail_out))
        return out
    }

    private static func zlibDeflate(_ stream: inout z_stream) -> Int32 { CZlib.deflate(&stream, Z_FINISH) }

    /// Inflates a zlib or gzip stream (zlib detects which from the header).
    private static func inflate(_ bytes: [UInt8], expectedCount: Int) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw problem("zlib cannot start decompressing")
        }
        defer { inflateEnd(&stream) }
        // One byte of room beyond the expected size tells "too much data" from "exactly right".
        var out = [UInt8](repeating: 0, count: expectedCount + 1)
        var input = bytes
        let status: Int32 = input.withUnsafeMutableBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        let produced = out.count - Int(stream.avail_out)
        switch status {
        case Z_STREAM_END:
            guard produced == expectedCount else { throw problem("decompresses to \(produced) bytes, expected \(expectedCount)") }
            out.removeLast()
            return out
        case Z_BUF_ERROR where produced <= expectedCount:
            throw problem("truncated compressed data (\(produced) of \(expectedCount) bytes)")
        case Z_BUF_ERROR:
            throw problem("decompresses to more than the \(expectedCount) bytes expected")
        default:
            throw problem("damaged compressed data (zlib: \(stream.msg.map { String(cString: $0) } ?? "status \(status)"))")
        }
    }

    // MARK: - zstd

    private static func zstdCompress(_ bytes: [UInt8], level: Int, checksum: Bool) throws -> [UInt8] {
        guard let context = ZSTD_createCCtx() else { throw problem("zstd cannot start compressing") }
        defer { ZSTD_freeCCtx(context) }
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level))
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, checksum ? 1 : 0)
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let written = out.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                ZSTD_compress2(context, target.baseAddress, target.count, source.baseAddress, source.count)
            }
        }
        guard ZSTD_isError(written) == 0 else { throw problem("zstd failed: \(String(cString: ZSTD_getErrorName(written)))") }
        out.removeLast(out.count - written)
        return out
    }

    private static func zstdDecompress(_ bytes: [UInt8], expectedCount: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: expectedCount)
        let produced = out.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                ZSTD_decompress(target.baseAddress, target.count, source.baseAddress, source.count)
            }
        }
        guard ZSTD_isError(produced) == 0 else {
            throw problem("damaged or truncated zstd data (\(String(cString: ZSTD_getErrorName(produced))))")
        }
        guard produced == expectedCount else { throw problem("decompresses to \(produced) bytes, expected \(expectedCount)") }
        return out
    }

    // MARK: - blosc

    private static func bloscCompress(_ bytes: [UInt8], _ settings: Blosc, typeSize: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: bytes.count + Int(BLOSC_MAX_OVERHEAD))
        let written = out.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                blosc_compress_ctx(Int32(settings.level), Int32(settings.shuffle.rawValue), typeSize, source.count,
                                   source.baseAddress, target.baseAddress, target.count, settings.compressor,
                                   settings.blockSize, 1)
            }
        }
        guard written > 0 else { throw problem("blosc (\(settings.compressor)) failed to compress (status \(written))") }
        out.removeLast(out.count - Int(written))
        return out
    }

    private static func bloscDecompress(_ bytes: [UInt8], expectedCount: Int) throws -> [UInt8] {
        guard bytes.count >= Int(BLOSC_MIN_HEADER_LENGTH) else { throw problem("truncated blosc data (\(bytes.count) bytes, no header)") }
        var size = 0
        let valid = bytes.withUnsafeBytes { blosc_cbuffer_validate($0.baseAddress, $0.count, &size) }
        guard valid == 0 else { throw problem("damaged or truncated blosc data (\(bytes.count) bytes)") }
        guard size == expectedCount else { throw problem("blosc data of \(size) bytes, expected \(expectedCount)") }
        var out = [UInt8](repeating: 0, count: expectedCount)
        let produced = out.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in blosc_decompress_ctx(source.baseAddress, target.baseAddress, target.count, 1) }
        }
        guard produced == expectedCount else { throw problem("damaged blosc data (status \(produced))") }
        return out
    }
}
