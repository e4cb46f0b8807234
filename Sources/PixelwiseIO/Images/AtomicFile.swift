#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PixelwiseCore

/// Writes a file so that `path` holds either the old contents or the complete new ones, never a
/// partial file: the encoder writes `.<name>.<pid>-<random>.tmp` in the same folder (so the
/// final rename(2) stays on one file system and is atomic), which is renamed over `path` only
/// when the encoder succeeded and removed otherwise.
enum AtomicFile {
    static func write(to path: String, _ encode: (_ temporaryPath: String) throws -> Void) throws {
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
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileBytes.failure(path, code)
        }
    }
}
