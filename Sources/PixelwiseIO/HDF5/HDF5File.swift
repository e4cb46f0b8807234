import CHDF5
import Foundation
import PixelwiseCore

/// A thin, safe wrapper over an HDF5 file.
///
/// Object paths are absolute and slash-separated, `"/a/b/c"` (a missing leading slash is added);
/// writing a dataset or attribute creates the intermediate groups. Every call takes the global
/// HDF5 lock (see `HDF5Library`), so files may be used from any thread, one call at a time.
/// Every failure throws `PixelwiseError.file(path:problem:)` naming this file and the problem.
///
/// The file is opened with HDF5's "strong" close degree: `close()` also closes any object that a
/// failed call left open, so a file never stays half-open on disk.
public final class HDF5File {
    /// The path the file was opened with; every error message names it.
    public let path: String
    /// True for files opened with `init(creating:)`.
    public let isWritable: Bool
    /// The HDF5 file identifier, or -1 once closed.
    var id: hid_t

    /// Creates (or truncates) the file at `path` for writing, in the HDF5 1.10 file format: its
    /// superblock, object headers and chunk indexes carry checksums that every reader verifies,
    /// so a damaged byte in the file's structure is an error too, not only one in checksummed
    /// data (HDF5 ≥ 1.10 reads it: h5py wheels since 2018, MATLAB R2021b).
    public init(creating path: String) throws {
        self.path = path
        isWritable = true
        id = HDF5File.create(path, inMemory: false)
        if id < 0 { throw HDF5File.creationError(path) }
    }

    /// Creates an HDF5 file in memory (HDF5's "core" driver, no backing file), named `path` in
    /// errors; `fileImage()` returns its bytes. Writers that must survive a full disk build the
    /// file here and write the bytes themselves (`ModelFile.write`): libhdf5 never sees a failed
    /// write(2), which it does not recover from (a failed flush left a file it crashed on at exit).
    public init(creatingInMemory path: String) throws {
        self.path = path
        isWritable = true
        id = HDF5File.create(path, inMemory: true)
        if id < 0 { throw PixelwiseError.file(path: path, problem: "cannot create an HDF5 file in memory") }
    }

    /// H5Fcreate in the HDF5 1.10 format (checksummed metadata), on disk or with the core driver
    /// (in memory, grown in 1 MB steps, never written out by libhdf5); a negative id on failure.
    private static func create(_ path: String, inMemory: Bool) -> hid_t {
        HDF5Library.locked {
            let fapl = HDF5File.strongCloseAccessList()
            defer { H5Pclose(fapl) }
            H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110)
            if inMemory { H5Pset_fapl_core(fapl, 1 << 20, false) }
            return H5Fcreate(path, pw_h5f_acc_trunc(), pw_h5p_default(), fapl)
        }
    }

    /// The bytes of a file made with `init(creatingInMemory:)`, as they would be on disk; closes it.
    public func fileImage() throws -> [UInt8] {
        try HDF5Library.locked {
            try requireOpen()
            defer {
                H5Fclose(id)
                id = -1
            }
            guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else { throw fileError("cannot finish the file in memory") }
            let size = H5Fget_file_image(id, nil, 0)
            guard size > 0 else { throw fileError("cannot finish the file in memory") }
            var bytes = [UInt8](repeating: 0, count: size)
            guard H5Fget_file_image(id, &bytes, size) == size else { throw fileError("cannot finish the file in memory") }
            HDF5File.resealSuperblock(&bytes)
            return bytes
        }
    }

    /// The eight bytes an HDF5 superblock starts with (at byte 0 unless the file has a user block).
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// libhdf5 1.10 patches the end-of-file address into a file image's version 2/3 superblock
    /// without updating the superblock's checksum, so readers refuse the image as written;
    /// this recomputes it (lookup3 over the superblock, stored after it, little-endian).
    static func resealSuperblock(_ bytes: inout [UInt8]) {
        guard bytes.count >= 12, bytes.starts(with: signature), bytes[8] >= 2 else { return }
        let covered = 12 + 4 * Int(bytes[9])
        guard bytes.count >= covered + 4 else { return }
        let checksum = Lookup3.hash(Array(bytes[..<covered]))
        for i in 0..<4 { bytes[covered + i] = UInt8(truncatingIfNeeded: checksum >> (8 * UInt32(i))) }
    }

    /// Opens an existing HDF5 file read-only.
    public init(reading path: String) throws {
        self.path = path
        isWritable = false
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw PixelwiseError.file(path: path, problem: "no such file")
        }
        if isFolder.boolValue { throw PixelwiseError.file(path: path, problem: "is a folder, not an HDF5 file") }
        let (isHDF5, opened): (Bool, hid_t) = try HDF5Library.locked {
            guard H5Fis_hdf5(path) > 0 else { return (false, -1) }
            if let problem = HDF5GlobalHeapCheck.problem(inFileAt: path) ?? HDF5MetadataProbe.problem(inFileAt: path) {
                throw PixelwiseError.file(path: path, problem: "damaged HDF5 file: \(problem)")
            }
            let fapl = HDF5File.strongCloseAccessList()
            defer { H5Pclose(fapl) }
            return (true, H5Fopen(path, pw_h5f_acc_rdonly(), fapl))
        }
        guard isHDF5 else { throw PixelwiseError.file(path: path, problem: "not an HDF5 file") }
        guard opened >= 0 else {
            throw PixelwiseError.file(path: path, problem: "cannot open: damaged or truncated HDF5 file (or locked by another writer)")
        }
        id = opened
    }

    /// Closes the file (and anything left open in it). Safe to call more than once.
    public func close() {
        HDF5Library.locked {
            if id >= 0 { H5Fclose(id) }
            id = -1
        }
    }

    deinit { close() }

    /// Writes every buffered change to disk, then closes the file; throws if either fails, so a
    /// caller that must know the file is complete (the atomic model writer) can rely on it.
    func flushAndClose() throws {
        try HDF5Library.locked {
            try requireOpen()
            errno = 0
            let flushed = H5Fflush(id, H5F_SCOPE_GLOBAL)
            let code = errno
            let closed = H5Fclose(id)
            id = -1
            if flushed < 0 || closed < 0 { throw fileError("cannot write the file: \(HDF5File.writeProblem(code == 0 ? errno : code))") }
        }
    }

    /// Whether a group or dataset exists at `path` (links that lead nowhere do not count).
    public func exists(_ path: String) -> Bool {
        HDF5Library.locked { id >= 0 && kind(of: HDF5File.normalised(path)) != .missing }
    }

    /// Creates the group at `groupPath` and any missing groups above it; does nothing if it exists.
    public func createGroup(_ groupPath: String) throws {
        let path = HDF5File.normalised(groupPath)
        try HDF5Library.locked {
            try requireWritable()
            switch kind(of: path) {
            case .group: return
            case .missing: try createGroupLocked(path)
            case .dataset, .other: throw fileError("cannot create group \(path): a dataset is there")
            case .damaged: throw fileError("cannot create group \(path): the file is damaged there")
            }
        }
    }

    // MARK: - Helpers shared by the extensions (call them with the lock held)

    /// Creates a missing group (normalised path) with its intermediate groups.
    func createGroupLocked(_ path: String) throws {
        let lcpl = intermediateGroupsList()
        defer { H5Pclose(lcpl) }
        let group = H5Gcreate2(id, path, lcpl, pw_h5p_default(), pw_h5p_default())
        guard group >= 0 else {
            let reason = blockingAncestor(of: path).map { ": \($0) is a dataset, not a group" } ?? ""
            throw fileError("cannot create group \(path)\(reason)")
        }
        H5Gclose(group)
    }

    /// `damaged`: a link is there but HDF5 cannot read what it leads to (an object header that
    /// fails its checksum, say), which must be an error, never taken for "not there".
    enum ObjectKind { case missing, group, dataset, other, damaged }

    /// What `path` (normalised) names: checks each ancestor link first, because HDF5 fails
    /// (rather than answering "no") when asked about "/a/b" while "/a" is missing.
    func kind(of path: String) -> ObjectKind {
        if path == "/" { return .group }
        var prefix = ""
        for component in path.split(separator: "/") {
            if !prefix.isEmpty, !isGroup(prefix) { return .missing }  // "/a/b" below a dataset "/a"
            prefix += "/" + component
            let link = H5Lexists(id, prefix, pw_h5p_default())
            guard link >= 0 else { return .damaged }
            guard link > 0 else { return .missing }
            let object = H5Oexists_by_name(id, prefix, pw_h5p_default())
            guard object >= 0 else { return .damaged }
            guard object > 0 else { return .missing }  // a dangling soft link
        }
        let object = H5Oopen(id, path, pw_h5p_default())
        guard object >= 0 else { return .damaged }
        defer { H5Oclose(object) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    private func isGroup(_ path: String) -> Bool {
        let object = H5Oopen(id, path, pw_h5p_default())
        guard object >= 0 else { return false }
        defer { H5Oclose(object) }
        return H5Iget_type(object) == H5I_GROUP
    }

    /// The nearest proper ancestor of `path` that exists but is not a group, if any: the reason
    /// a dataset cannot be created there (e.g. "/params/enc" is a dataset, so "/params/enc/w" fails).
    func blockingAncestor(of path: String) -> String? {
        var prefix = ""
        for component in path.split(separator: "/").dropLast() {
            prefix += "/" + component
            switch kind(of: prefix) {
            case .missing, .damaged: return nil
            case .group: continue
            case .dataset, .other: return prefix
            }
        }
        return nil
    }

    /// A link-creation property list that creates missing intermediate groups. Close it after use.
    func intermediateGroupsList() -> hid_t {
        let lcpl = H5Pcreate(pw_h5p_link_create())
        H5Pset_create_intermediate_group(lcpl, 1)
        return lcpl
    }

    func requireOpen() throws {
        if id < 0 { throw fileError("file is closed") }
    }

    func requireWritable() throws {
        try requireOpen()
        if !isWritable { throw fileError("opened for reading, cannot write") }
    }

    func fileError(_ problem: String) -> PixelwiseError { .file(path: path, problem: problem) }

    /// Why a write failed, from the `errno` libhdf5's failed write(2) left: HDF5's own error
    /// stack says only "write failed".
    static func writeProblem(_ code: Int32) -> String {
        switch code {
        case ENOSPC: "no space left on the disk"
        case EFBIG: "file too large (the file-size limit, ulimit -f, was reached)"
        case EDQUOT: "disk quota exceeded"
        case EIO: "input/output error"
        default: "the disk refused the data (full?)"
        }
    }

    /// "/a/b/c" from "a/b/c", "/a//b/c/" or "/a/b/c"; "/" for the root.
    static func normalised(_ path: String) -> String {
        "/" + path.split(separator: "/").joined(separator: "/")
    }

    private static func strongCloseAccessList() -> hid_t {
        let fapl = H5Pcreate(pw_h5p_file_access())
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG)
        return fapl
    }

    /// Why `H5Fcreate` failed, in words: HDF5's own stack says only "unable to open file".
    private static func creationError(_ path: String) -> PixelwiseError {
        let folder = (path as NSString).deletingLastPathComponent
        let dir = folder.isEmpty ? "." : folder
        var isFolder: ObjCBool = false
        if !FileManager.default.fileExists(atPath: dir, isDirectory: &isFolder) || !isFolder.boolValue {
            return .file(path: path, problem: "cannot create: folder \(dir) does not exist")
        }
        if !FileManager.default.isWritableFile(atPath: dir) {
            return .file(path: path, problem: "cannot create: folder \(dir) is not writable")
        }
        return .file(path: path, problem: "cannot create HDF5 file (is it a folder, or open elsewhere?)")
    }
}
