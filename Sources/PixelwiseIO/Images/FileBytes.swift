#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PixelwiseCore

/// Whole-file and file-prefix reads and writes on POSIX calls, with errors as
/// `PixelwiseError.file` that say what went wrong in words ("no such file", "is a folder").
enum FileBytes {
    /// Up to `limit` bytes from the start of the file (all of it when `limit` is nil).
    static func read(_ path: String, upTo limit: Int? = nil) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw failure(path, errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure(path, errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw PixelwiseError.file(path: path, problem: (info.st_mode & S_IFMT) == S_IFDIR ? "is a folder, not a file" : "is not a regular file")
        }
        let size = Int(info.st_size)
        let wanted = min(size, limit ?? size)
        var bytes = [UInt8](repeating: 0, count: wanted)
        var done = 0
        while done < wanted {
            let got = bytes.withUnsafeMutableBytes { buffer in
                posixRead(descriptor, buffer.baseAddress! + done, wanted - done)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw failure(path, errno)
            }
            if got == 0 { break }  // the file shrank while we read it
            done += got
        }
        return done == wanted ? bytes : Array(bytes.prefix(done))
    }

    /// Writes `bytes` to a new file at `path` (replacing it). Not atomic by itself: callers go
    /// through `AtomicFile`.
    static func write(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o666)
        guard descriptor >= 0 else { throw failure(path, errno) }
        var done = 0
        while done < bytes.count {
            let put = bytes.withUnsafeBytes { buffer in
                posixWrite(descriptor, buffer.baseAddress! + done, bytes.count - done)
            }
            if put < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(descriptor)
                throw failure(path, code)
            }
            done += put
        }
        guard close(descriptor) == 0 else { throw failure(path, errno) }
    }

    /// What a failed write through a C library (libpng, libjpeg, libtiff) means: the disk's own
    /// words when `errno` says the disk is full or a size limit was hit (the library's message is
    /// only "Write Error"), else `problem`. Clear `errno` before the call.
    static func writeProblem(_ problem: String) -> String {
        switch errno {
        case ENOSPC, EFBIG, EDQUOT:
            guard case let .file(_, words) = failure("", errno) else { return problem }
            return words
        default: return problem
        }
    }

    /// `errno` in words, lower-case, e.g. "no such file".
    static func failure(_ path: String, _ code: Int32) -> PixelwiseError {
        let problem = switch code {
        case ENOENT: "no such file"
        case EACCES: "permission denied"
        case EISDIR: "is a folder, not a file"
        case ENOSPC: "no space left on the disk"
        case EFBIG: "file too large (the file-size limit, ulimit -f, was reached)"
        case EDQUOT: "disk quota exceeded"
        default: String(cString: strerror(code)).lowercased()
        }
        return PixelwiseError.file(path: path, problem: problem)
    }
}

// At file scope `read`/`write` name the C functions, not `FileBytes.read`/`FileBytes.write`.
private func posixRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

extension String {
    /// The NUL-terminated text a C function left in `buffer`.
    init(cBuffer buffer: [CChar]) {
        self = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
