#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import PixelwiseCore

/// A file read through zlib's gz stream: a gzip file is decompressed as it is read, any other
/// file is passed through unchanged ("transparent" reading), so `.nii` and `.nii.gz` share one
/// path. Reads go forward in a 128 KiB buffer; `seek` forward decompresses and discards, so memory
/// stays at the buffer whatever the file's size.
final class GzipReader {
    private let handle: gzFile
    let path: String
    /// Whether the file is gzip-compressed (false: read as stored).
    let compressed: Bool

    init(path: String) throws {
        _ = try FileBytes.read(path, upTo: 0)  // missing, a folder, unreadable: the usual words
        guard let handle = gzopen(path, "rb") else { throw FileBytes.failure(path, errno) }
        gzbuffer(handle, 1 << 17)
        self.handle = handle
        self.path = path
        // gzdirect is only known once zlib has looked at the first bytes.
        _ = gzgetc(handle)
        gzrewind(handle)
        compressed = gzdirect(handle) == 0
    }

    deinit { gzclose(handle) }

    /// Up to `count` bytes (fewer only at the end of the data).
    func read(upTo count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: count, exactly: false) }
        return Array(bytes.prefix(got))
    }

    /// Fills `count` bytes at `buffer`; with `exactly`, running out of data is an error that
    /// says the file is truncated. Returns the number of bytes read.
    @discardableResult
    func read(into buffer: UnsafeMutableRawPointer, count: Int, exactly: Bool = true) throws -> Int {
        var done = 0
        while done < count {
            let chunk = UInt32(min(count - done, 1 << 30))
            let got = gzread(handle, buffer + done, chunk)
            if got < 0 { throw failure() }
            if got == 0 { break }
            done += Int(got)
        }
        if exactly && done < count {
            throw failure(orElse: "truncated: the data end \(count - done) bytes early")
        }
        return done
    }

    /// Moves to byte `offset` of the (decompressed) data.
    func seek(to offset: Int) throws {
        guard gzseek(handle, offset, SEEK_SET) >= 0 else { throw failure() }
    }

    /// The error zlib recorded, in one line naming the file.
    private func failure(orElse fallback: String = "cannot read the file") -> PixelwiseError {
        var code: Int32 = 0
        let message = gzerror(handle, &code).map { String(cString: $0) } ?? ""
        switch code {
        case Z_OK, Z_STREAM_END:
            return .file(path: path, problem: fallback)
        case Z_BUF_ERROR:
            return .file(path: path, problem: "truncated gzip data (\(message))")
        case Z_DATA_ERROR:
            return .file(path: path, problem: "corrupt gzip data (\(message))")
        case Z_ERRNO:
            return FileBytes.failure(path, errno)
        default:
            return .file(path: path, problem: message.isEmpty ? fallback : message)
        }
    }
}

/// A file written through zlib's gz stream: gzip level 6 when `compressed`, else stored as is.
final class GzipWriter {
    private var handle: gzFile?
    let path: String
    let reportingAs: String

    init(path: String, compressed: Bool, reportingAs: String) throws {
        guard let handle = gzopen(path, compressed ? "wb6" : "wbT") else { throw FileBytes.failure(reportingAs, errno) }
        gzbuffer(handle, 1 << 17)
        self.handle = handle
        self.path = path
        self.reportingAs = reportingAs
    }

    deinit { if let handle { gzclose(handle) } }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard let handle else { return }
        var done = 0
        while done < buffer.count {
            let chunk = UInt32(min(buffer.count - done, 1 << 30))
            let put = gzwrite(handle, buffer.baseAddress! + done, chunk)
            guard put > 0 else { throw failure(errno) }
            done += Int(put)
        }
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Flushes and closes; a full disk shows here at the latest.
    func close() throws {
        guard let handle else { return }
        self.handle = nil
        let code = gzclose(handle)
        guard code == Z_OK else { throw failure(errno) }
    }

    private func failure(_ code: Int32) -> PixelwiseError {
        code != 0 ? FileBytes.failure(reportingAs, code) : .file(path: reportingAs, problem: "cannot write the file")
    }
}
