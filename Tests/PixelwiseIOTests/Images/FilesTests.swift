import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

/// Format detection, atomic writes and sample-type conversion.
@Suite struct FilesTests {
    @Test func formatComesFromContentNotName() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let image = Image.pattern(width: 6, height: 5, channels: 1, type: .uint8)
        for (name, format) in [("a.png", ImageFormat.png), ("a.jpg", .jpeg), ("a.tif", .tiff), ("a.bmp", .bmp)] {
            try image.write(to: folder.file(name))
            #expect(try ImageFormat.detect(path: folder.file(name)) == format)
        }
        // A PNG named .jpg (Oxford-IIIT Pet has such files) reads as the PNG it is.
        try write(try bytes(of: folder.file("a.png")), to: folder.file("really-png.jpg"))
        #expect(try ImageFormat.detect(path: folder.file("really-png.jpg")) == .png)
        #expect(try Image(contentsOf: folder.file("really-png.jpg")) == image)
    }

    @Test func writeFormatComesFromExtension() throws {
        #expect(try ImageFormat.forWriting(path: "/x/a.PNG") == .png)
        #expect(try ImageFormat.forWriting(path: "b.jpeg") == .jpeg)
        #expect(try ImageFormat.forWriting(path: "dir.v2/c.tiff") == .tiff)
        #expect(expectFileError("dir.v2/c") { _ = try ImageFormat.forWriting(path: "dir.v2/c") }.contains("extension"))
        #expect(expectFileError("c.gif") { _ = try ImageFormat.forWriting(path: "c.gif") }.contains("\"gif\""))
    }

    @Test func writeReplacesAtomicallyAndLeavesNoTemporaryFiles() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let path = folder.file("out.png")
        let first = Image.pattern(width: 8, height: 8, channels: 1, type: .uint8)
        try first.write(to: path)
        let firstBytes = try bytes(of: path)
        // A failing write (float32 cannot go to PNG) leaves the old file untouched.
        expectFileError(path) { try Image.pattern(width: 8, height: 8, channels: 1, type: .float32).write(to: path) }
        #expect(try bytes(of: path) == firstBytes)
        // A failing TIFF write half-way (second page refused) leaves nothing behind either.
        let stackPath = folder.file("stack.tif")
        var bad = Image(width: 4, height: 4)
        bad.pixels.removeLast()
        expectFileError(stackPath) { try ImageStack.write([first, bad], to: stackPath) }
        #expect(try folder.contents() == ["out.png"])
        // A successful write replaces the file.
        let second = Image.pattern(width: 3, height: 2, channels: 3, type: .uint16)
        try second.write(to: path)
        #expect(try Image(contentsOf: path) == second)
        #expect(try folder.contents() == ["out.png"])
    }

    @Test func missingFolderIsNamed() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let path = folder.file("no/such/out.tif")
        #expect(expectFileError(path) { try Image(width: 2, height: 2).write(to: path) }.contains("does not exist"))
    }

    @Test func conversionsRescaleBetweenRanges() {
        let bytes = Image(width: 3, height: 1, sampleType: .uint8, pixels: [0, 128, 255])
        #expect(bytes.converted(to: .uint16).pixels == [0, 32896, 65535])
        #expect(bytes.converted(to: .uint16).converted(to: .uint8) == bytes)
        #expect(bytes.converted(to: .float32).pixels == [0, 128 / 255, 1])
        let probabilities = Image(width: 4, height: 1, sampleType: .float32, pixels: [-0.5, 0.5, 1.5, .nan])
        #expect(probabilities.converted(to: .uint8).pixels == [0, 128, 255, 0])
        #expect(probabilities.valueRange! == (-0.5, 1.5))
    }
}
