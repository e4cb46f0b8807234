import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

@Suite struct TIFFTests {
    static let layouts: [TIFFWriteOptions.Layout] = [.strips, .tiles(width: 16, height: 32)]
    static let compressions: [TIFFWriteOptions.Compression] = [.none, .lzw, .deflate]

    /// Every sample type × channel count × layout × compression × byte order. 37×45 leaves
    /// partial tiles at the right and bottom edges, and several strips.
    @Test(arguments: SampleType.allCases, [1, 2, 3, 4])
    func roundTripIsExact(type: SampleType, channels: Int) throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let image = Image.pattern(width: 37, height: 45, channels: channels, type: type)
        for layout in Self.layouts {
            for compression in Self.compressions {
                for order in [TIFFWriteOptions.ByteOrder.littleEndian, .bigEndian] {
                    let path = folder.file("t.tif")
                    try ImageStack.write([image], to: path, options: .init(layout: layout, compression: compression, byteOrder: order))
                    #expect(try Image(contentsOf: path) == image, "\(layout) \(compression) \(order)")
                    #expect(try bytes(of: path).prefix(2) == (order == .bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]))
                }
            }
        }
    }

    @Test func plainWriteUsesUncompressedLittleEndianStrips() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let image = Image.pattern(width: 64, height: 64, channels: 1, type: .float32)
        let path = folder.file("prob.tiff")
        try image.write(to: path)
        #expect(try Image(contentsOf: path) == image)
        let file = try bytes(of: path)
        #expect(file.prefix(4) == [0x49, 0x49, 0x2A, 0x00])
        #expect(file.count >= 64 * 64 * 4)  // uncompressed float samples
    }

    @Test func tilesMustBeMultiplesOf16() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let path = folder.file("t.tif")
        let problem = expectFileError(path) {
            try ImageStack.write([Image(width: 8, height: 8)], to: path, options: .init(layout: .tiles(width: 10, height: 16)))
        }
        #expect(problem.contains("16"))
        #expect(try folder.contents().isEmpty)
    }

    /// A 16-bit big-endian file from an independent writer reads like its little-endian twin.
    @Test func handBuiltBigEndian16BitMatchesLittleEndian() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let values: [UInt16] = [0, 1, 256, 65535, 4660, 43981]
        let tags: [(UInt16, UInt16, [UInt32])] = [(258, 3, [16]), (262, 3, [1]), (277, 3, [1])]
        for bigEndian in [true, false] {
            let data = values.flatMap { bigEndian ? [UInt8($0 >> 8), UInt8($0 & 0xFF)] : [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            let path = folder.file(bigEndian ? "be.tif" : "le.tif")
            try write(HandBuiltTIFF.make([.init(width: 3, height: 2, tags: tags, strips: [data])], bigEndian: bigEndian), to: path)
        }
        let big = try Image(contentsOf: folder.file("be.tif")), little = try Image(contentsOf: folder.file("le.tif"))
        #expect(big == little)
        #expect(big.sampleType == .uint16)
        #expect(big.pixels == values.map(Float.init))
    }

    @Test func separatePlanesAreInterleaved() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        // 2×1 RGB, planar configuration 2: one strip per colour plane.
        let tags: [(UInt16, UInt16, [UInt32])] = [(258, 3, [8, 8, 8]), (262, 3, [2]), (277, 3, [3]), (284, 3, [2])]
        let path = folder.file("planar.tif")
        try write(HandBuiltTIFF.make([.init(width: 2, height: 1, tags: tags, strips: [[1, 2], [3, 4], [5, 6]])]), to: path)
        let image = try Image(contentsOf: path)
        #expect(image.channels == 3)
        #expect(image.pixels == [1, 3, 5, 2, 4, 6])
    }

    @Test func paletteExpandsToRGBAndMinIsWhiteIsInverted() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        // Colour map: 3 × 256 SHORTs (all reds, then greens, then blues); entry i = (i·256, 0, 65535 − i·256).
        let map = (0..<256).map { UInt32($0 * 256) } + [UInt32](repeating: 0, count: 256) + (0..<256).map { UInt32(65535 - $0 * 256) }
        let palette = HandBuiltTIFF.Page(width: 3, height: 1, tags: [(258, 3, [8]), (262, 3, [3]), (277, 3, [1]), (320, 3, map)],
                                         strips: [[0, 1, 255]])
        let white = HandBuiltTIFF.Page(width: 2, height: 1, tags: [(258, 3, [8]), (262, 3, [0]), (277, 3, [1])], strips: [[0, 200]])
        let path = folder.file("two.tif")
        try write(HandBuiltTIFF.make([palette, white]), to: path)
        let stack = try ImageStack(path: path)
        #expect(stack.count == 2)
        let rgb = try stack.page(0)
        #expect(rgb.channels == 3)
        #expect(rgb.pixels == [0, 0, 255, 1, 0, 254, 255, 0, 0])
        #expect(try stack.page(1).pixels == [255, 55])
    }

    @Test func unsupportedSampleFormatThrows() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        // 32-bit unsigned integers (sample format 1).
        let path = folder.file("u32.tif")
        try write(HandBuiltTIFF.make([.init(width: 1, height: 1, tags: [(258, 3, [32]), (262, 3, [1]), (277, 3, [1])],
                                            strips: [[1, 2, 3, 4]])]), to: path)
        #expect(expectFileError(path) { _ = try Image(contentsOf: path) }.contains("unsupported"))
    }
}
