import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

@Suite struct BMPTests {
    @Test(arguments: [1, 3], [5, 8])
    func roundTripIsExact(channels: Int, width: Int) throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let image = Image.pattern(width: width, height: 3, channels: channels, type: .uint8)
        let path = folder.file("b.bmp")
        try image.write(to: path)
        #expect(try Image(contentsOf: path) == image)
        // 14 + 40 header bytes, a 256-entry palette for grey, rows padded to 4 bytes.
        let rowBytes = (width * channels + 3) / 4 * 4
        #expect(try bytes(of: path).count == 54 + (channels == 1 ? 1024 : 0) + rowBytes * 3)
    }

    /// BITMAPINFOHEADER fields after "BM": file size, reserved, data offset, then the 40-byte header.
    static func header(width: Int, height: Int, bits: Int, compression: Int, dataOffset: Int, fileSize: Int,
                       headerSize: Int = 40, colours: Int = 0) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var out = Array("BM".utf8) + u32(fileSize) + u32(0) + u32(dataOffset)
        out += u32(headerSize) + u32(width) + u32(height) + u16(1) + u16(bits) + u32(compression)
        out += u32(0) + u32(2835) + u32(2835) + u32(colours) + u32(0)
        return out
    }

    @Test func reads32BitTopDown() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        // 2×2, height −2 (top-down), BGRX pixels.
        var file = Self.header(width: 2, height: -2, bits: 32, compression: 0, dataOffset: 54, fileSize: 70)
        file += [1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 10, 11, 12, 0]
        let path = folder.file("top.bmp")
        try write(file, to: path)
        let image = try Image(contentsOf: path)
        #expect(image.channels == 3)
        #expect(image.pixels == [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10])
    }

    @Test func reads32BitAlphaBitFields() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        // BI_ALPHABITFIELDS (6): masks R, G, B, A follow the header; 1×1 bottom-up pixel.
        func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var file = Self.header(width: 1, height: 1, bits: 32, compression: 6, dataOffset: 70, fileSize: 74)
        file += u32(0x00FF_0000) + u32(0x0000_FF00) + u32(0x0000_00FF) + u32(0xFF00_0000)
        file += [30, 20, 10, 40]  // B G R A
        let path = folder.file("alpha.bmp")
        try write(file, to: path)
        let image = try Image(contentsOf: path)
        #expect(image.channels == 4)
        #expect(image.pixels == [10, 20, 30, 40])
    }

    @Test func colourPaletteExpandsToRGB() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        // 8-bit, 2 palette entries (BGR0), 3×1 image: indices 1, 0, 1, row padded to 4 bytes.
        var file = Self.header(width: 3, height: 1, bits: 8, compression: 0, dataOffset: 62, fileSize: 66, colours: 2)
        file += [0, 0, 255, 0, 50, 100, 150, 0]
        file += [1, 0, 1, 0]
        let path = folder.file("pal.bmp")
        try write(file, to: path)
        let image = try Image(contentsOf: path)
        #expect(image.channels == 3)
        #expect(image.pixels == [150, 100, 50, 255, 0, 0, 150, 100, 50])
    }

    @Test func truncatedPixelDataThrows() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let path = folder.file("cut.bmp")
        try Image.pattern(width: 16, height: 16, channels: 3, type: .uint8).write(to: path)
        let full = try bytes(of: path)
        try write(Array(full.prefix(full.count - 10)), to: path)
        #expect(expectFileError(path) { _ = try Image(contentsOf: path) }.contains("truncated"))
    }
}
