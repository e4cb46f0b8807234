import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

@Suite struct PNGTests {
    @Test(arguments: [SampleType.uint8, .uint16], 1...4)
    func roundTripIsExact(type: SampleType, channels: Int) throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let image = Image.pattern(width: 19, height: 11, channels: channels, type: type)
        let path = folder.file("p.png")
        try image.write(to: path)
        let back = try Image(contentsOf: path)
        #expect(back == image)
        #expect(try ImageFormat.detect(path: path) == .png)
    }

    @Test func paletteWithTransparencyExpandsToRGBA() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        // 3×2 image, palette: 0 red, 1 green, 2 blue (alpha 128), 3 grey; tRNS gives entry 2 alpha 128.
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 90, 90, 90]
        let bytes = HandBuiltPNG.make(width: 3, height: 2, bitDepth: 8, colourType: 3, rows: [[0, 1, 2], [3, 2, 0]],
                                      chunks: [("PLTE", palette), ("tRNS", [255, 255, 128])])
        let path = folder.file("palette.png")
        try write(bytes, to: path)
        let image = try Image(contentsOf: path)
        #expect(image.channels == 4)
        #expect(image.sampleType == .uint8)
        #expect(image.pixels == [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 128,
                                 90, 90, 90, 255, 0, 0, 255, 128, 255, 0, 0, 255])
    }

    @Test func paletteWithoutTransparencyExpandsToRGB() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        // 4-bit palette, 3 pixels in a row: indices 1, 0, 1 packed as 0x10, 0x10.
        let bytes = HandBuiltPNG.make(width: 3, height: 1, bitDepth: 4, colourType: 3, rows: [[0x10, 0x10]],
                                      chunks: [("PLTE", [10, 20, 30, 200, 210, 220])])
        let path = folder.file("palette4.png")
        try write(bytes, to: path)
        let image = try Image(contentsOf: path)
        #expect(image.channels == 3)
        #expect(image.pixels == [200, 210, 220, 10, 20, 30, 200, 210, 220])
    }

    @Test func oneBitGreyExpandsTo8Bit() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let bytes = HandBuiltPNG.make(width: 10, height: 1, bitDepth: 1, colourType: 0, rows: [[0b1011_0000, 0b0100_0000]])
        let path = folder.file("bits.png")
        try write(bytes, to: path)
        let image = try Image(contentsOf: path)
        #expect(image.channels == 1 && image.sampleType == .uint8)
        #expect(image.pixels == [255, 0, 255, 255, 0, 0, 0, 0, 0, 255])
    }

    @Test func floatImageIsRefusedAndNothingIsWritten() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let path = folder.file("f.png")
        let problem = expectFileError(path) { try Image.pattern(width: 4, height: 4, channels: 1, type: .float32).write(to: path) }
        #expect(problem.contains("float32"))
        #expect(try folder.contents().isEmpty)
    }
}
