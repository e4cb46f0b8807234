import PixelwiseCore
import Testing
@testable import PixelwiseIO
import PixelwiseTestSupport

/// The fixtures are real files from the ssTEM and ISBI 2012 data sets (Fixtures/README.md).
@Suite struct RealDataTests {
    @Test func ssTEMRawIsABigEndianImageJTIFF() throws {
        let path = try Fixture.path("sstem-raw-00", "tif")
        #expect(try bytes(of: path).prefix(4) == [0x4D, 0x4D, 0x00, 0x2A])  // "MM", 42
        let image = try Image(contentsOf: path)
        #expect((image.width, image.height, image.channels, image.sampleType) == (1024, 1024, 1, .uint8))
        // Values checked against the file's raw strip, read with Python.
        #expect(image[0, 0] == 199 && image[1, 0] == 204 && image[0, 1] == 195 && image[1023, 1023] == 165)
        #expect(image.pixels.reduce(0.0) { $0 + Double($1) } == 134_930_314)
        #expect(image.valueRange! == (0, 254))
    }

    @Test func ssTEMRawReadsTheSameAfterALittleEndianRewrite() throws {
        let folder = try ScratchFolder()
        defer { folder.remove() }
        let original = try Image(contentsOf: try Fixture.path("sstem-raw-00", "tif"))
        let path = folder.file("le.tif")
        try original.write(to: path)
        #expect(try bytes(of: path).prefix(2) == [0x49, 0x49])
        #expect(try Image(contentsOf: path) == original)
    }

    @Test func ssTEMLabelsUseTheNineDocumentedValues() throws {
        let labels = try Image(contentsOf: try Fixture.path("sstem-labels-00", "png"))
        #expect((labels.width, labels.height, labels.channels, labels.sampleType) == (1024, 1024, 1, .uint8))
        let values = Set(labels.pixels)
        #expect(values.isSubset(of: [0, 32, 64, 96, 128, 159, 191, 223, 255]))
        #expect(values.contains(255) && values.contains(191) && values.count >= 4, "\(values.sorted())")
    }

    @Test func isbiImageAndLabels() throws {
        let image = try Image(contentsOf: try Fixture.path("isbi-train-00", "png"))
        #expect((image.width, image.height, image.channels, image.sampleType) == (512, 512, 1, .uint8))
        #expect(Set(image.pixels).count > 100)  // a grey EM image, not a mask
        let labels = try Image(contentsOf: try Fixture.path("isbi-labels-00", "png"))
        #expect((labels.width, labels.height, labels.channels) == (512, 512, 1))
        #expect(Set(labels.pixels) == [0, 255])
        let interior = Float(labels.pixels.filter { $0 == 255 }.count) / Float(labels.pixels.count)
        #expect(interior > 0.65 && interior < 0.9, "cell interior fraction \(interior)")  // ≈ 78 % over the stack
    }

    @Test func inspectDescriptionOfTheSSTEMFile() throws {
        let path = try Fixture.path("sstem-raw-00", "tif")
        #expect(try inspectDescription(path: path) == "\(path): TIFF 1024×1024, 1 page, 1 channel, uint8, min 0 max 254")
        let labels = try Fixture.path("isbi-labels-00", "png")
        #expect(try inspectDescription(path: labels) == "\(labels): PNG 512×512, 1 page, 1 channel, uint8, min 0 max 255")
    }
}
