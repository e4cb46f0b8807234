#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PixelwiseCore

/// An exclusive lock on a run folder, held by a training run while it writes into the folder,
/// so that a second `train --out` or `--resume` on the same folder is refused instead of two
/// runs overwriting each other's checkpoints.
///
/// The lock is `flock(2)` on `FOLDER/.pixelwise.lock`, which holds the holder's process id and
/// host name (for the error message). The kernel drops an `flock` when its holder exits, however
/// it exits, so a lock file left by a killed run is stale by construction: the next run gets the
/// lock, and `takenOver` says whose it was. `flock` locks belong to an open file, not to a
/// process, so two locks in one process exclude each other too (and work on NFSv4 and local disks).
///
/// `release()` (or deinit) removes the file while still holding the lock; a waiter that opened
/// the removed file notices (its descriptor no longer matches the path) and starts over.
public final class RunFolderLock {
    public static let fileName = ".pixelwise.lock"

    public let folder: String
    public var path: String { folder + "/" + RunFolderLock.fileName }
    /// The process id and host written in a lock file that was left behind by a run that
    /// ended without releasing it (killed, crashed): nil when there was none.
    public let takenOver: (pid: Int32, host: String)?
    private var descriptor: Int32

    /// Takes the lock on `folder` (which must exist), or throws a one-line `PixelwiseError.file`
    /// naming the folder and the process that holds it.
    public init(folder: String) throws {
        self.folder = folder
        let path = folder + "/" + RunFolderLock.fileName
        while true {
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw FileBytes.failure(path, errno) }
            if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
                let code = errno
                let holder = RunFolderLock.holder(descriptor)
                close(descriptor)
                guard code == EWOULDBLOCK || code == EAGAIN else { throw FileBytes.failure(path, code) }
                let who = holder.map { "process \($0.pid) on \($0.host)" } ?? "another process"
                throw PixelwiseError.file(path: folder, problem: "another training run (\(who)) is writing into this folder; wait for it to finish or choose another folder")
            }
            // Locked; but if the holder we waited on removed the file meanwhile, this descriptor
            // is for a file no longer at `path`: start over.
            var opened = stat(), named = stat()
            guard fstat(descriptor, &opened) == 0, stat(path, &named) == 0,
                  opened.st_ino == named.st_ino, opened.st_dev == named.st_dev else {
                close(descriptor)
                continue
            }
            takenOver = RunFolderLock.holder(descriptor)
            let me = "\(getpid()) \(RunFolderLock.hostName())\n"
            guard ftruncate(descriptor, 0) == 0, pwrite(descriptor, me, me.utf8.count, 0) == me.utf8.count else {
                let code = errno
                close(descriptor)
                throw FileBytes.failure(path, code)
            }
            self.descriptor = descriptor
            return
        }
    }

    /// Removes the lock file and drops the lock. Safe to call more than once.
    public func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }

    /// The "pid host" a lock file holds, if it holds one.
    private static func holder(_ descriptor: Int32) -> (pid: Int32, host: String)? {
        var bytes = [UInt8](repeating: 0, count: 512)
        let count = pread(descriptor, &bytes, bytes.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: bytes.prefix(count), as: UTF8.self).split(separator: "\n").first ?? ""
        let parts = text.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let pid = Int32(parts[0]) else { return nil }
        return (pid, String(parts[1]))
    }

    private static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "this machine" }
        return String(cString: name)
    }
}
