import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

/// Bad input throws `PixelwiseError.file` naming the file — through every entry point — and
/// never crashes, aborts or exits (libjpeg's default would call exit()).
@Suite struct CorruptFileTests {
    /// Every public way in must reject the file with a file error.
    @discardableResult
    static func expectRejected(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let problem = expectFileError(path, sourceLocation: sourceLocation) { _ = try Image(contentsOf: path) }
        expectFileError(path, sourceLocation: sourceLocation) { _ = try ImageStack(path: path).readAll() }
        expectFileError(path, sourceLocation: sourceLocation) { _ = try inspectDescription(path: path) }
        return problem
    }

    @Test func missingFile() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        #expect(Self.expectRejected(folder.file("nothing.png")) == "no such file")
    }

    @Test func folderInsteadOfFile() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        #expect(Self.expectRejected(folder.path).contains("folder"))
    }

    @Test(arguments: ["empty.png", "empty.tif", "empty.jpg", "empty.bmp"])
    func emptyFile(name: String) throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        try write([], to: folder.file(name))
        #expect(Self.expectRejected(folder.file(name)).contains("empty"))
    }

    @Test func randomBytesWithAPNGName() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        var generator = SplitMix64(seed: 7)
        try write((0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, to: folder.file("noise.png"))
        #expect(Self.expectRejected(folder.file("noise.png")).contains("not a PNG, JPEG, TIFF or BMP"))
    }

    @Test func realPNGCutInHalf() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let full = try bytes(of: try Fixture.path("isbi-train-00", "png"))
        try write(Array(full.prefix(full.count / 2)), to: folder.file("half.png"))
        #expect(Self.expectRejected(folder.file("half.png")).hasPrefix("unreadable PNG"))
    }

    @Test func pngWithADamagedDataChunk() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        var file = try bytes(of: try Fixture.path("isbi-labels-00", "png"))
        file[file.count / 2] ^= 0xFF  // inside IDAT: CRC mismatch
        try write(file, to: folder.file("damaged.png"))
        Self.expectRejected(folder.file("damaged.png"))
    }

    @Test(arguments: [8, 100, 524_367])
    func realTIFFCut(at length: Int) throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let full = try bytes(of: try Fixture.path("sstem-raw-00", "tif"))
        try write(Array(full.prefix(length)), to: folder.file("cut.tif"))
        Self.expectRejected(folder.file("cut.tif"))
    }

    @Test func truncatedJPEG() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let path = folder.file("cut.jpg")
        try Image.pattern(width: 64, height: 64, channels: 3, type: .uint8).write(to: path)
        let full = try bytes(of: path)
        try write(Array(full.prefix(full.count / 2)), to: path)
        #expect(Self.expectRejected(path).hasPrefix("unreadable JPEG"))
    }

    @Test func jpegHeaderOnly() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        try write([0xFF, 0xD8, 0xFF, 0xE0, 0x00], to: folder.file("head.jpg"))
        Self.expectRejected(folder.file("head.jpg"))
    }
}
