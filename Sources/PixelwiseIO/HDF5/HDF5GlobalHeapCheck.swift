#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A check of an HDF5 file's global heap collections, made before libhdf5 opens the file.
///
/// Variable-length strings (the text attributes of model files, as h5py writes them too) live
/// in "global heap collections", the one HDF5 structure without a checksum even in the 1.10
/// format. libhdf5 (1.10 and later) trusts the object sizes it finds there: one damaged byte in
/// a size makes it read past the collection and crash the process (found by flipping every byte
/// of a model file, `ModelFileIntegrityTests`). So every collection ("GCOL", version 1) is walked
/// here first, as libhdf5 will walk it, and a file where an object runs past its collection is
/// refused with an error instead.
enum HDF5GlobalHeapCheck {
    /// nil when every global heap collection in the file is consistent (or the file has none);
    /// otherwise the problem, in words.
    static func problem(inFileAt path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }  // HDF5 reports unreadable files itself
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        let fileSize = Int(info.st_size)
        guard let lengthSize = sizeOfLengths(descriptor) else { return nil }

        let signature: [UInt8] = Array("GCOL".utf8) + [1]
        let blockSize = 1 << 20
        var block = [UInt8](repeating: 0, count: blockSize + signature.count - 1)
        var start = 0
        while start < fileSize {
            let wanted = min(block.count, fileSize - start)
            guard readFully(descriptor, into: &block, count: wanted, at: start) else { return nil }
            var searchFrom = 0
            while let hit = find(signature, in: block, from: searchFrom, to: wanted) {
                if let problem = checkCollection(descriptor, at: start + hit, fileSize: fileSize, lengthSize: lengthSize) {
                    return problem
                }
                searchFrom = hit + 1
            }
            start += blockSize
        }
        return nil
    }

    /// Walks the collection at `offset`: header "GCOL", version, 3 reserved bytes, collection
    /// size; then objects of (index u16, references u16, 4 reserved bytes, size, data padded to
    /// 8 bytes), index 0 being the free space, whose size counts its header.
    private static func checkCollection(_ descriptor: Int32, at offset: Int, fileSize: Int, lengthSize: Int) -> String? {
        let headerSize = 8 + lengthSize, objectHeaderSize = 8 + lengthSize
        var header = [UInt8](repeating: 0, count: headerSize)
        guard readFully(descriptor, into: &header, count: headerSize, at: offset) else {
            return "global heap at byte \(offset) is cut off"
        }
        let size = little(header, at: 8, count: lengthSize)
        guard size >= UInt64(headerSize), size <= UInt64(fileSize - offset) else {
            return "global heap at byte \(offset) claims \(size) bytes"
        }
        let collectionSize = Int(size)
        var bytes = [UInt8](repeating: 0, count: collectionSize)
        guard readFully(descriptor, into: &bytes, count: collectionSize, at: offset) else {
            return "global heap at byte \(offset) is cut off"
        }
        var p = headerSize
        while p < collectionSize {
            if p + objectHeaderSize > collectionSize { break }  // a tail too small for an object: free space
            let index = Int(bytes[p]) | Int(bytes[p + 1]) << 8
            let objectSize = little(bytes, at: p + 8, count: lengthSize)
            let remaining = UInt64(collectionSize - p)
            let need: UInt64
            if index > 0 {
                guard objectSize <= remaining else { return "global heap object \(index) at byte \(offset + p) runs past its collection" }
                need = UInt64(objectHeaderSize) + (objectSize + 7) / 8 * 8
            } else {
                need = objectSize
            }
            guard need > 0, need <= remaining else {
                return "global heap object \(index) at byte \(offset + p) runs past its collection"
            }
            p += Int(need)
        }
        return nil
    }

    /// The superblock's "size of lengths" (8 in practically every file), or nil when the
    /// superblock is not at byte 0 (a user block; then no check is made).
    private static func sizeOfLengths(_ descriptor: Int32) -> Int? {
        var superblock = [UInt8](repeating: 0, count: 16)
        guard readFully(descriptor, into: &superblock, count: 16, at: 0),
              superblock.starts(with: HDF5File.signature) else { return nil }
        let size = Int(superblock[8] <= 1 ? superblock[14] : superblock[10])
        return [2, 4, 8].contains(size) ? size : nil
    }

    private static func little(_ bytes: [UInt8], at offset: Int, count: Int) -> UInt64 {
        (0..<count).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int, to end: Int) -> Int? {
        haystack.withUnsafeBytes { hay in
            var at = start
            while end - at >= needle.count {
                guard let first = memchr(hay.baseAddress! + at, Int32(needle[0]), end - at - needle.count + 1) else { return nil }
                let index = hay.baseAddress!.distance(to: UnsafeRawPointer(first))
                if memcmp(hay.baseAddress! + index, needle, needle.count) == 0 { return index }
                at = index + 1
            }
            return nil
        }
    }

    private static func readFully(_ descriptor: Int32, into buffer: inout [UInt8], count: Int, at offset: Int) -> Bool {
        var done = 0
        while done < count {
            let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return false }
            done += got
        }
        return true
    }
}
