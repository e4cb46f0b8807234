import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

@Suite struct JPEGTests {
    /// A smooth image (JPEG's home ground): a diagonal ramp per channel, values 0…225.
    static func smooth(channels: Int) -> Image {
        var image = Image(width: 64, height: 48, channels: channels)
        for y in 0..<48 { for x in 0..<64 { for c in 0..<channels { image[x, y, c] = (Float(x + y) * 1.5 + Float(c * 30)).rounded() } } }
        return image
    }

    @Test(arguments: [1, 3])
    func roundTripIsClose(channels: Int) throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let image = Self.smooth(channels: channels)
        let path = folder.file("j.jpg")
        try image.write(to: path)
        #expect(try ImageFormat.detect(path: path) == .jpeg)
        let back = try Image(contentsOf: path)
        #expect((back.width, back.height, back.channels, back.sampleType) == (64, 48, channels, .uint8))
        let errors = zip(back.pixels, image.pixels).map { abs($0 - $1) }
        let mean = errors.reduce(0, +) / Float(errors.count)
        #expect(mean < 1.5, "mean error \(mean)")
        #expect(errors.max()! <= 12, "max error \(errors.max()!)")
        #expect(back.pixels != Image(width: 64, height: 48, channels: channels).pixels)
    }

    @Test func jpegExtensionAlsoWorks() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        try Self.smooth(channels: 1).write(to: folder.file("a.JPEG"))
        #expect(try Image(contentsOf: folder.file("a.JPEG")).channels == 1)
    }

    @Test func sixteenBitAndAlphaAreRefused() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let path = folder.file("x.jpg")
        #expect(expectFileError(path) { try Image.pattern(width: 4, height: 4, channels: 1, type: .uint16).write(to: path) }.contains("8-bit"))
        #expect(expectFileError(path) { try Image.pattern(width: 4, height: 4, channels: 4, type: .uint8).write(to: path) }.contains("4"))
        #expect(try folder.contents().isEmpty)
    }
}
