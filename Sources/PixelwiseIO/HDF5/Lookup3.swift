/// Bob Jenkins' lookup3 `hashlittle`, the checksum HDF5 puts on its metadata (superblock v2/v3,
/// object headers, B-trees). `HDF5File.fileImage()` needs it to re-seal a superblock (libhdf5's
/// file images carry a stale one). Byte-wise, as HDF5's `H5_checksum_lookup3`.
enum Lookup3 {
    static func hash(_ key: [UInt8], initialValue: UInt32 = 0) -> UInt32 {
        var a: UInt32 = 0xdead_beef &+ UInt32(truncatingIfNeeded: key.count) &+ initialValue
        var b = a, c = a
        func rot(_ x: UInt32, _ k: UInt32) -> UInt32 { x << k | x >> (32 - k) }
        func word(_ i: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 | (i + $1 < key.count ? UInt32(key[i + $1]) << (8 * UInt32($1)) : 0) }
        }
        var offset = 0, length = key.count
        while length > 12 {
            a = a &+ word(offset); b = b &+ word(offset + 4); c = c &+ word(offset + 8)
            a = a &- c; a ^= rot(c, 4); c = c &+ b
            b = b &- a; b ^= rot(a, 6); a = a &+ c
            c = c &- b; c ^= rot(b, 8); b = b &+ a
            a = a &- c; a ^= rot(c, 16); c = c &+ b
            b = b &- a; b ^= rot(a, 19); a = a &+ c
            c = c &- b; c ^= rot(b, 4); b = b &+ a
            length -= 12; offset += 12
        }
        guard length > 0 else { return c }
        // The last 1–12 bytes, zero-padded (word() reads nothing past the end).
        let tail = Array(key[offset...]) + [UInt8](repeating: 0, count: 12 - length)
        func tailWord(_ i: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(tail[i + $1]) << (8 * UInt32($1)) } }
        a = a &+ tailWord(0); b = b &+ tailWord(4); c = c &+ tailWord(8)
        c ^= b; c = c &- rot(b, 14)
        a ^= c; a = a &- rot(c, 11)
        b ^= a; b = b &- rot(a, 25)
        c ^= b; c = c &- rot(b, 16)
        a ^= c; a = a &- rot(c, 4)
        b ^= a; b = b &- rot(a, 14)
        c ^= b; c = c &- rot(b, 24)
        return c
    }
}
