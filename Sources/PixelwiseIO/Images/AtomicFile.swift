#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PixelwiseCore

/// Writes a file so that `path` holds either the old contents or the complete new ones, never a
/// partial file: the encoder writes `.<name>.<pid>-<random>.tmp` in the same folder (so the
/// final rename(2) stays on one file system and is atomic); the finished file is fsync'ed, then
/// renamed over `path`, then the folder is fsync'ed (so neither a crash nor a power cut can leave
/// a renamed but empty file). When anything fails (the encoder, a full disk, a file-size limit)
/// the temporary file is removed, `path` is untouched, and the error is one line naming `path`.
///
/// Every file Pixelwise writes goes through here: images and stacks, model files and
/// checkpoints, reports, training logs and configurations.
public enum AtomicFile {
    /// Runs `encode` on a temporary path, then puts the result at `path`. Errors that name the
    /// temporary file are renamed to name `path`.
    public static func write(to path: String, _ encode: (_ temporaryPath: String) throws -> Void) throws {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var info = stat()
        guard stat(folder.isEmpty ? "/" : folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw PixelwiseError.file(path: path, problem: "the folder \(folder) does not exist")
        }
        let temporary = (slash == nil ? "" : folder + "/") + ".\(name).\(getpid())-\(UInt32.random(in: .min ... .max)).tmp"
        do {
            try encode(temporary)
            try syncToDisk(temporary)
        } catch {
            unlink(temporary)
            if case let .file(errorPath, problem)? = error as? PixelwiseError, errorPath == temporary {
                throw PixelwiseError.file(path: path, problem: problem)
            }
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileBytes.failure(path, code)
        }
        syncFolder(folder.isEmpty ? "/" : folder)
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { temporary in try FileBytes.write(bytes, to: temporary) }
    }

    /// Writes `text` as UTF-8 to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// fsync the finished file, so the rename cannot reach the disk before the data do; a full
    /// disk that the write itself did not report (delayed allocation) is reported here.
    private static func syncToDisk(_ temporary: String) throws {
        let descriptor = open(temporary, O_RDONLY)
        guard descriptor >= 0 else { throw FileBytes.failure(temporary, errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw FileBytes.failure(temporary, errno) }
    }

    /// fsync the folder so the rename itself is durable; best effort (some file systems refuse).
    private static func syncFolder(_ folder: String) {
        let descriptor = open(folder, O_RDONLY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
