import CHDF5Shim
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The walk of a file's metadata in a child process that comes before libhdf5 reads a file
/// without metadata checksums (`pw_h5_probe`, Sources/CHDF5Shim).
///
/// libhdf5 1.10.8 can read or write past its buffers on damaged files in the original HDF5
/// format (superblock version 0 or 1: h5py's and most tools' default), whose object headers,
/// group heaps and B-trees carry no checksums (fuzz-hdf5 found it in `H5Aexists`, in attribute
/// message decoding and in `H5HG_read`). So such a file is first walked in a forked child, the
/// way Pixelwise reads it; if the child dies, the file is refused and this process never ran the
/// code that failed. Files in the 1.10 format (Pixelwise's model files and checkpoints) have
/// checksummed metadata, which libhdf5 verifies, and skip the walk.
enum HDF5MetadataProbe {
    /// The walk reads datasets and attributes in full up to this many bytes in all (model
    /// weights, small volumes); past it, their type, filters and chunk index are walked.
    static let fullReadBytes = 256 << 20
    /// A damaged file can make libhdf5 loop (a B-tree that points back at itself).
    static let timeoutSeconds = 30.0

    /// Files walked clean in this process, by device, inode, size and change times: a volume
    /// read box by box is opened once per box, and is walked once. Only files last changed over
    /// 2 s before the walk are remembered: file times are kept in clock ticks of a few
    /// milliseconds, so a file changed twice within one tick would otherwise look unchanged, but
    /// any change after the walk gets a later time than one 2 s old.
    nonisolated(unsafe) private static var walkedClean = Set<[Int]>()
    /// How many walks this process has made of each path (for the tests).
    nonisolated(unsafe) private(set) static var walks: [String: Int] = [:]

    /// nil when the file may be opened; otherwise the problem, in words. Called under the HDF5 lock.
    static func problem(inFileAt path: String) -> String? {
        guard !hasChecksummedMetadata(path) else { return nil }
        let identity = self.identity(path)
        if let identity, walkedClean.contains(identity) { return nil }
        var detail: Int32 = 0
        walks[path, default: 0] += 1
        switch pw_h5_probe(path, fullReadBytes, timeoutSeconds, &detail) {
        case PW_H5_PROBE_CLEAN:
            if let identity { walkedClean.insert(identity) }
            return nil
        case PW_H5_PROBE_CRASHED:
            let how = detail >= 1000 ? "exit status \(detail - 1000)" : "signal \(detail)"
            return "libhdf5 crashes reading its metadata (\(how), in a separate process that walks the file first)"
        case PW_H5_PROBE_OUT_OF_MEMORY:
            return "libhdf5 asks for more than \(detail) MB of memory to read its metadata (a damaged size)"
        case PW_H5_PROBE_TIMED_OUT:
            return "libhdf5 did not finish reading its metadata in \(Int(timeoutSeconds)) s (a loop in damaged metadata?)"
        default:
            // Clean; or libhdf5 reported an error itself, which the caller's own reads report in
            // their words; or no child could be made, and the file is read as before.
            return nil
        }
    }

    private static func identity(_ path: String) -> [Int]? {
        var info = stat()
        var now = timespec()
        guard stat(path, &info) == 0, clock_gettime(CLOCK_REALTIME, &now) == 0,
              max(info.st_mtim.tv_sec, info.st_ctim.tv_sec) < now.tv_sec - 2 else { return nil }
        return [Int(info.st_dev), Int(info.st_ino), Int(info.st_size), info.st_mtim.tv_sec, info.st_mtim.tv_nsec,
                info.st_ctim.tv_sec, info.st_ctim.tv_nsec]
    }

    /// Whether the file starts with a version 2 or 3 superblock (HDF5 1.8/1.10 format), whose
    /// metadata libhdf5 checksums. A superblock elsewhere (after a user block) is not trusted.
    static func hasChecksummedMetadata(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var start = [UInt8](repeating: 0, count: 9)
        guard pread(descriptor, &start, 9, 0) == 9 else { return false }
        return start.starts(with: HDF5File.signature) && start[8] >= 2
    }
}
