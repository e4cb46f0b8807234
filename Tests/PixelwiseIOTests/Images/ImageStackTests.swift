import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

@Suite struct ImageStackTests {
    static let pages = [
        Image.pattern(width: 20, height: 10, channels: 1, type: .uint8),
        Image.pattern(width: 7, height: 9, channels: 3, type: .uint16),
        Image.pattern(width: 33, height: 17, channels: 1, type: .float32),
    ]

    @Test func multiPageWriteAndLazyReads() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let path = folder.file("stack.tif")
        try ImageStack.write(Self.pages, to: path, options: .init(layout: .tiles(width: 16, height: 16), compression: .deflate))
        let stack = try ImageStack(path: path)
        #expect(stack.count == 3)
        #expect(stack.path == path)
        #expect(stack.format == .tiff)
        #expect(try stack.page(2) == Self.pages[2])  // out of order on purpose
        #expect(try stack.page(0) == Self.pages[0])
        #expect(try stack.page(1) == Self.pages[1])
        #expect(try stack.readAll() == Self.pages)
        #expect(try Image(contentsOf: path) == Self.pages[0])
        #expect(expectFileError(path) { _ = try stack.page(3) }.contains("3 pages"))
        #expect(expectFileError(path) { _ = try stack.page(-1) }.contains("does not exist"))
    }

    /// Opening counts pages without decoding them: a stack whose first page's pixel data lies
    /// past the end of the file opens, counts 2 pages, and serves page 1; only page 0 throws.
    @Test func openingDoesNotDecodePixels() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let tags: [(UInt16, UInt16, [UInt32])] = [(258, 3, [8]), (262, 3, [1]), (277, 3, [1])]
        let path = folder.file("broken-first.tif")
        try write(HandBuiltTIFF.make([.init(width: 2, height: 2, tags: tags, strips: [[1, 2, 3, 4]], breakStripOffset: true),
                                      .init(width: 2, height: 1, tags: tags, strips: [[9, 8]])]), to: path)
        let stack = try ImageStack(path: path)
        #expect(stack.count == 2)
        #expect(try stack.page(1).pixels == [9, 8])
        expectFileError(path) { _ = try stack.page(0) }
    }

    @Test func singleImagesAreOnePageStacks() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let image = Image.pattern(width: 5, height: 4, channels: 3, type: .uint8)
        for name in ["a.png", "a.bmp", "a.tif"] {
            try image.write(to: folder.file(name))
            let stack = try ImageStack(path: folder.file(name))
            #expect(stack.count == 1)
            #expect(try stack.page(0) == image)
        }
    }

    @Test func stacksAreWrittenAsTIFFOnly() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        expectFileError(folder.file("s.png")) { try ImageStack.write(Self.pages, to: folder.file("s.png")) }
        expectFileError(folder.file("s.tif")) { try ImageStack.write([], to: folder.file("s.tif")) }
        #expect(try folder.contents().isEmpty)
    }
}
