import PixelwiseCore

/// Windows BMP in plain Swift.
///
/// Reads uncompressed 1/4/8-bit palette files (a palette whose entries are all grey gives a
/// 1-channel image, any other gives RGB), 24-bit BGR and 32-bit BGRX/BGRA (bit-field masks
/// honoured; an alpha mask gives a 4th channel), bottom-up or top-down rows, with a
/// BITMAPCOREHEADER (12 bytes) or BITMAPINFOHEADER and its V4/V5 extensions (40/108/124 bytes).
/// Writes 8-bit grey (with a 256-entry grey palette) or 24-bit RGB, bottom-up.
///
/// Layout: 14-byte file header ("BM", file size, 2×reserved, pixel-data offset), the info header,
/// the palette (4 bytes B,G,R,0 per entry; 3 bytes with a core header), then rows of
/// ⌈bits·width/32⌉·4 bytes.
enum BMPCodec {
    static func read(path: String) throws -> Image {
        let file = try FileBytes.read(path)
        func fail(_ problem: String) -> PixelwiseError { PixelwiseError.file(path: path, problem: "unreadable BMP: \(problem)") }
        let bytes = LittleEndianBytes(bytes: file)
        guard file.count >= 26, bytes.text(0, 2) == "BM" else { throw fail("file too short for its header (\(file.count) bytes)") }

        let dataOffset = Int(try bytes.uint32(10, or: fail))
        let headerSize = Int(try bytes.uint32(14, or: fail))
        let width: Int, signedHeight: Int, bitCount: Int, compression: UInt32, paletteEntryBytes: Int, coloursUsed: Int
        if headerSize == 12 {
            width = Int(try bytes.uint16(18, or: fail))
            signedHeight = Int(Int16(bitPattern: try bytes.uint16(20, or: fail)))
            bitCount = Int(try bytes.uint16(24, or: fail))
            (compression, paletteEntryBytes, coloursUsed) = (0, 3, 0)
        } else if headerSize >= 40 {
            width = Int(Int32(bitPattern: try bytes.uint32(18, or: fail)))
            signedHeight = Int(Int32(bitPattern: try bytes.uint32(22, or: fail)))
            bitCount = Int(try bytes.uint16(28, or: fail))
            compression = try bytes.uint32(30, or: fail)
            coloursUsed = Int(try bytes.uint32(46, or: fail))
            paletteEntryBytes = 4
        } else {
            throw fail("unknown info header size \(headerSize)")
        }
        let height = abs(signedHeight), topDown = signedHeight < 0
        guard width > 0, height > 0, width <= 1 << 20, height <= 1 << 20, width * height <= 1 << 30 else {
            throw fail("bad size \(width)×\(signedHeight)")
        }
        // 0 = BI_RGB, 3 = BI_BITFIELDS, 6 = BI_ALPHABITFIELDS; 1/2 are RLE, 4/5 embedded JPEG/PNG.
        guard compression == 0 || ((compression == 3 || compression == 6) && bitCount == 32) else {
            throw fail("unsupported compression \(compression) with \(bitCount) bits per pixel")
        }
        let rowBytes = (bitCount * width + 31) / 32 * 4
        guard dataOffset >= 14 + headerSize, dataOffset + rowBytes * height <= file.count else {
            throw fail("truncated: pixel data needs \(dataOffset + rowBytes * height) bytes, the file has \(file.count)")
        }
        /// Byte offset of the first byte of image row y (y = 0 at the top).
        func rowStart(_ y: Int) -> Int { dataOffset + (topDown ? y : height - 1 - y) * rowBytes }

        switch bitCount {
        case 1, 4, 8:
            let entries = coloursUsed == 0 ? 1 << bitCount : min(coloursUsed, 1 << bitCount)
            let paletteStart = 14 + headerSize
            guard paletteStart + entries * paletteEntryBytes <= dataOffset else { throw fail("palette overlaps the pixel data") }
            // Entries are B, G, R (, reserved); indices beyond the palette read as black.
            var palette = [[Float]](repeating: [0, 0, 0], count: 1 << bitCount)
            for i in 0..<entries {
                let at = paletteStart + i * paletteEntryBytes
                palette[i] = [Float(file[at + 2]), Float(file[at + 1]), Float(file[at])]
            }
            let grey = palette.prefix(entries).allSatisfy { $0[0] == $0[1] && $0[1] == $0[2] }
            let channels = grey ? 1 : 3
            var pixels = [Float](repeating: 0, count: width * height * channels)
            let mask = (1 << bitCount) - 1, perByte = 8 / bitCount
            for y in 0..<height {
                let start = rowStart(y)
                for x in 0..<width {
                    let byte = Int(file[start + x / perByte])
                    let index = (byte >> (8 - bitCount * (x % perByte + 1))) & mask
                    for c in 0..<channels { pixels[(y * width + x) * channels + c] = palette[index][c] }
                }
            }
            return Image(width: width, height: height, channels: channels, sampleType: .uint8, pixels: pixels)
        case 24:
            var pixels = [Float](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                let start = rowStart(y)
                for x in 0..<width {
                    for c in 0..<3 { pixels[(y * width + x) * 3 + c] = Float(file[start + 3 * x + 2 - c]) }
                }
            }
            return Image(width: width, height: height, channels: 3, sampleType: .uint8, pixels: pixels)
        case 32:
            // BI_RGB: B, G, R, unused. Bit fields: masks right after the 40-byte header.
            var masks: [UInt32] = [0x00FF_0000, 0x0000_FF00, 0x0000_00FF, 0]
            if compression != 0 {
                masks = [try bytes.uint32(54, or: fail), try bytes.uint32(58, or: fail), try bytes.uint32(62, or: fail),
                         headerSize >= 56 || compression == 6 ? try bytes.uint32(66, or: fail) : 0]
            }
            let fields = masks.map(BitField.init)
            let channels = masks[3] != 0 ? 4 : 3
            var pixels = [Float](repeating: 0, count: width * height * channels)
            for y in 0..<height {
                let start = rowStart(y)
                for x in 0..<width {
                    let value = try bytes.uint32(start + 4 * x, or: fail)
                    for c in 0..<channels { pixels[(y * width + x) * channels + c] = fields[c].extract(value) }
                }
            }
            return Image(width: width, height: height, channels: channels, sampleType: .uint8, pixels: pixels)
        default:
            throw fail("unsupported \(bitCount) bits per pixel (Pixelwise reads 1, 4, 8, 24 and 32)")
        }
    }

    static func write(_ image: Image, to temporaryPath: String, reportingAs path: String) throws {
        guard image.channels == 1 || image.channels == 3 else {
            throw PixelwiseError.file(path: path, problem: "BMP stores grey or RGB (1 or 3 channels), the image has \(image.channels)")
        }
        guard image.sampleType == .uint8 else {
            throw PixelwiseError.file(
                path: path, problem: "BMP stores 8-bit samples, the image is \(image.sampleType.rawValue); convert with converted(to: .uint8)")
        }
        let bitCount = image.channels * 8
        let paletteBytes = image.channels == 1 ? 256 * 4 : 0
        let rowBytes = (bitCount * image.width + 31) / 32 * 4
        let dataOffset = 14 + 40 + paletteBytes
        let fileSize = dataOffset + rowBytes * image.height
        guard fileSize <= Int(UInt32.max) else {
            throw PixelwiseError.file(path: path, problem: "image too large for BMP (\(fileSize) bytes)")
        }
        var out = [UInt8]()
        out.reserveCapacity(fileSize)
        func put16(_ v: Int) { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func put32(_ v: Int) { for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> shift)) } }
        out += Array("BM".utf8); put32(fileSize); put32(0); put32(dataOffset)
        put32(40); put32(image.width); put32(image.height); put16(1); put16(bitCount)
        put32(0); put32(rowBytes * image.height)
        put32(2835); put32(2835)  // 72 dpi in pixels per metre
        put32(image.channels == 1 ? 256 : 0); put32(0)
        if image.channels == 1 { for i in 0..<256 { out += [UInt8(i), UInt8(i), UInt8(i), 0] } }
        let samples = image.uint8Samples()
        let padding = [UInt8](repeating: 0, count: rowBytes - image.width * image.channels)
        for y in stride(from: image.height - 1, through: 0, by: -1) {
            let row = samples[(y * image.width * image.channels)..<((y + 1) * image.width * image.channels)]
            if image.channels == 1 {
                out += row
            } else {
                for x in 0..<image.width { out += [row[row.startIndex + 3 * x + 2], row[row.startIndex + 3 * x + 1], row[row.startIndex + 3 * x]] }
            }
            out += padding
        }
        try FileBytes.write(out, to: temporaryPath)
    }
}

/// Bounds-checked little-endian reads from a file's bytes.
private struct LittleEndianBytes {
    let bytes: [UInt8]

    func text(_ offset: Int, _ count: Int) -> String { String(decoding: bytes[offset..<offset + count], as: UTF8.self) }

    func uint16(_ offset: Int, or fail: (String) -> PixelwiseError) throws -> UInt16 {
        guard offset >= 0, offset + 2 <= bytes.count else { throw fail("truncated header") }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    func uint32(_ offset: Int, or fail: (String) -> PixelwiseError) throws -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else { throw fail("truncated header") }
        return (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }
}

/// One channel of a 32-bit BMP pixel: (value & mask) >> shift, rescaled from the mask's width
/// to 0…255 (a field of width w has maximum 2^w − 1).
private struct BitField {
    let mask: UInt32, shift: UInt32, maximum: Float

    init(_ mask: UInt32) {
        self.mask = mask
        shift = mask == 0 ? 0 : UInt32(mask.trailingZeroBitCount)
        maximum = mask == 0 ? 1 : Float((mask >> shift) & 0xFFFF_FFFF)
    }

    func extract(_ value: UInt32) -> Float {
        guard mask != 0 else { return 0 }
        let raw = Float((value & mask) >> shift)
        return maximum == 255 ? raw : (raw * 255 / maximum).rounded()
    }
}
