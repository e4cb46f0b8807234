/// Minimal file writers written independently of the library, so tests can check the readers
/// on layouts the library's writers never produce (palette PNG, planar TIFF, BMP variants).

/// PNG bytes: signature, IHDR, extra chunks (PLTE, tRNS), one IDAT holding the scanlines in a
/// zlib stream of stored (uncompressed) blocks, IEND.
enum HandBuiltPNG {
    /// `rows` are packed scanlines without the filter byte (filter 0 is added).
    static func make(width: Int, height: Int, bitDepth: UInt8, colourType: UInt8,
                     rows: [[UInt8]], chunks: [(String, [UInt8])] = []) -> [UInt8] {
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        file += chunk("IHDR", bigEndian32(width) + bigEndian32(height) + [bitDepth, colourType, 0, 0, 0])
        for (type, data) in chunks { file += chunk(type, data) }
        let raw: [UInt8] = rows.flatMap { (row: [UInt8]) -> [UInt8] in [0] + row }
        file += chunk("IDAT", zlibStored(raw))
        file += chunk("IEND", [])
        return file
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return bigEndian32(data.count) + body + bigEndian32(Int(crc32(body)))
    }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var start = 0
        repeat {
            let end = min(start + 65535, data.count)
            let length = end - start
            out.append(end == data.count ? 1 : 0)  // BFINAL, BTYPE = 00 (stored)
            out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            out += data[start..<end]
            start = end
        } while start < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        return out + bigEndian32(Int(b << 16 | a))
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
}

/// Classic TIFF bytes, one strip per plane, in either byte order. Each page lists its own tags
/// besides the size and strip tags, which are added.
enum HandBuiltTIFF {
    struct Page {
        var width: Int
        var height: Int
        /// (tag, type 3 = SHORT or 4 = LONG, values).
        var tags: [(UInt16, UInt16, [UInt32])]
        /// One byte string per strip (per plane for separate planes), already in the file's byte order.
        var strips: [[UInt8]]
        /// Points the first strip past the end of the file (an unreadable page with a sound directory).
        var breakStripOffset = false
    }

    static func make(_ pages: [Page], bigEndian: Bool = false) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { bigEndian ? [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] {
            let little = (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
            return bigEndian ? little.reversed() : little
        }
        var file = (bigEndian ? Array("MM".utf8) + u16(42) : Array("II".utf8) + u16(42)) + u32(0)
        var previousLink = 4  // where the offset of the next directory goes
        for page in pages {
            var offsets: [Int] = []
            for strip in page.strips {
                offsets.append(page.breakStripOffset && offsets.isEmpty ? 1 << 30 : file.count)
                file += strip
                if file.count % 2 == 1 { file.append(0) }
            }
            var tags = page.tags + [(256, 4, [UInt32(page.width)]), (257, 4, [UInt32(page.height)]),
                                    (273, 4, offsets.map(UInt32.init)), (278, 4, [UInt32(page.height)]),
                                    (279, 4, page.strips.map { UInt32($0.count) })]
            tags.sort { $0.0 < $1.0 }
            let directory = file.count
            file.replaceSubrange(previousLink..<previousLink + 4, with: u32(directory))
            var outOfLine = directory + 2 + 12 * tags.count + 4
            var entries: [UInt8] = u16(tags.count), extra: [UInt8] = []
            for (tag, type, values) in tags {
                let encoded = values.flatMap { type == 3 ? u16(Int($0)) : u32(Int($0)) }
                entries += u16(Int(tag)) + u16(Int(type)) + u32(values.count)
                if encoded.count <= 4 {
                    entries += encoded + [UInt8](repeating: 0, count: 4 - encoded.count)
                } else {
                    entries += u32(outOfLine)
                    extra += encoded
                    outOfLine += encoded.count
                }
            }
            file += entries
            previousLink = file.count
            file += u32(0) + extra
            if file.count % 2 == 1 { file.append(0) }
        }
        return file
    }
}
