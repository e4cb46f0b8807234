import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseKernels
import PixelwiseModels
import PixelwiseTestSupport
import Testing
@testable import PixelwiseWorkflow

/// Stacks stream: `segment(inputs:into:)` writes each page as it is finished, and the file it
/// writes is, byte for byte, the one the old way gave (every page segmented, then the whole list
/// written by `ImageStack.write` / `NIfTIVolume.write`).
@Suite struct StackStreamingTests {
    /// A `pages`-page grey TIFF stack of deterministic noise; `twoChannelPage` gets grey + alpha.
    func writeStack(_ path: String, pages: Int, width: Int = 61, height: Int = 47, twoChannelPage: Int? = nil) throws {
        var random = SplitMix64(seed: 11)
        let images = (0..<pages).map { k -> Image in
            let channels = k == twoChannelPage ? 2 : 1
            let pixels = (0..<(width * height * channels)).map { _ in Float(random.next() % 256) }
            return Image(width: width, height: height, channels: channels, sampleType: .uint8, pixels: pixels)
        }
        try ImageStack.write(images, to: path)
    }

    func model(_ scratch: ScratchFolder, classes: Int = 2, channels: String? = nil) throws -> String {
        var options = PresetOptions(baseFilters: 4, seed: 3)
        options.classes = classes
        let graph = try ModelZoo.preset(named: "tschopp-unet").makeGraph(options)
        if let channels { graph.metadata["channels"] = channels }
        try ModelFile(graph: graph).write(to: scratch.file("model.h5"))
        return scratch.file("model.h5")
    }

    func segmenter(_ model: String, output: Segmenter.Output) throws -> Segmenter {
        Threads.set(1)
        var options = Segmenter.Options()
        options.tile = 220
        options.output = output
        return try Segmenter(model: model, options: options)
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test(arguments: [Segmenter.Output.labels, .probabilities, .floatProbabilities])
    func streamedStackEqualsTheWholeStackWritten(output: Segmenter.Output) throws {
        let scratch = try ScratchFolder()
        try writeStack(scratch.file("stack.tif"), pages: 5)
        let segmenter = try segmenter(try model(scratch, classes: 3), output: output)
        let written = try segmenter.segment(inputs: [scratch.file("stack.tif")], into: scratch.file("out"))
        #expect(written == [scratch.file("out/stack.tif")])

        let pages = try ImageStack(path: scratch.file("stack.tif")).readAll().map { try segmenter.segment($0) }
        try ImageStack.write(pages, to: scratch.file("reference.tif"))
        #expect(try bytes(scratch.file("out/stack.tif")) == bytes(scratch.file("reference.tif")))
        #expect(try ImageStack(path: scratch.file("out/stack.tif")).count == 5)
    }

    /// A stack with ImageJ's calibration gives it to its result; `--spacing` replaces the voxel
    /// size and keeps the unit; an uncalibrated stack's result has none.
    @Test func aCalibratedStacksResultKeepsItsCalibration() throws {
        let scratch = try ScratchFolder()
        var random = SplitMix64(seed: 2)
        let pages = (0..<3).map { _ in Image(width: 40, height: 30, channels: 1, sampleType: .uint8, pixels: (0..<1200).map { _ in Float(random.next() % 256) }) }
        try FileManager.default.createDirectory(atPath: scratch.file("in"), withIntermediateDirectories: true)
        var tiff = TIFFWriteOptions()
        tiff.calibration = .init(ImageJCalibration(spacing: [50, 4, 4], unit: "nm"), pages: 3)
        try ImageStack.write(pages, to: scratch.file("in/calibrated.tif"), options: tiff)
        try ImageStack.write(pages, to: scratch.file("in/plain.tif"))
        let segmenter = try segmenter(try model(scratch), output: .labels)
        _ = try segmenter.segment(inputs: [scratch.file("in/calibrated.tif"), scratch.file("in/plain.tif")], into: scratch.file("out"))
        #expect(try ImageJCalibration.read(path: scratch.file("out/calibrated.tif")) == ImageJCalibration(spacing: [50, 4, 4], unit: "nm"))
        #expect(try ImageJCalibration.read(path: scratch.file("out/plain.tif")) == nil)
        var options = Segmenter.Options()
        options.tile = 220
        options.spacing = [30, 5, 5]
        _ = try Segmenter(model: scratch.file("model.h5"), options: options).segment(inputs: [scratch.file("in/calibrated.tif")], into: scratch.file("given"))
        // (the resolution tags hold pixels per unit as 32-bit floats: 1/5 comes back as 4.99999992…)
        let given = try #require(try ImageJCalibration.read(path: scratch.file("given/calibrated.tif")))
        #expect(given.unit == "nm" && zip(given.spacing, [30, 5, 5]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(given)")
    }

    @Test(arguments: [Segmenter.Output.labels, .floatProbabilities])
    func streamedNIfTIEqualsTheWholeVolumeWritten(output: Segmenter.Output) throws {
        let scratch = try ScratchFolder()
        let (width, height, depth) = (40, 33, 4)
        var random = SplitMix64(seed: 5)
        let voxels = (0..<(width * height * depth)).map { _ in Float(random.next() % 200) }
        let input = NIfTIHeader(dimensions: [width, height, depth], dataType: .uint8, spacing: [0.5, 0.5, 2])
        try NIfTIVolume.write(voxels, header: input, to: scratch.file("scan.nii.gz"))
        let segmenter = try segmenter(try model(scratch, classes: 3), output: output)
        try segmenter.segment(inputs: [scratch.file("scan.nii.gz")], into: scratch.file("out"))

        // The old way: every slice segmented, then the volume written class-major (per-class
        // probabilities, a 4-D volume) or slice after slice (labels).
        let volume = try NIfTIVolume(path: scratch.file("scan.nii.gz"))
        let pages = try ImageStack(path: scratch.file("scan.nii.gz")).readAll().map { try segmenter.segment($0) }
        let channels = pages[0].channels
        #expect(channels == (output == .labels ? 1 : 3))
        let type: NIfTIDataType = output == .labels ? .uint8 : .float32
        let header = channels > 1
            ? volume.header.derived(dataType: type, extraDimensions: [channels], description: "pixelwise class probabilities")
            : volume.header.derived(dataType: type, extraDimensions: [], description: "pixelwise segmentation")
        var values: [Float] = []
        for c in 0..<channels { for page in pages { values += stride(from: c, to: page.pixels.count, by: channels).map { page.pixels[$0] } } }
        try NIfTIVolume.write(values, header: header, to: scratch.file("reference.nii.gz"))
        #expect(try bytes(scratch.file("out/scan.nii.gz")) == bytes(scratch.file("reference.nii.gz")))
        // The scratch planes were removed: the folder holds the result only.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("out")) == ["scan.nii.gz"])
    }

    /// A page whose channels do not fit the network, in the middle of a stack: a one-line error
    /// naming the stack, and no output at all (not the pages before it, not a temporary file).
    @Test func aBadPageMidStackLeavesNoOutput() throws {
        let scratch = try ScratchFolder()
        try writeStack(scratch.file("a.tif"), pages: 3)
        try writeStack(scratch.file("b.tif"), pages: 4, twoChannelPage: 2)
        let segmenter = try segmenter(try model(scratch, channels: "all"), output: .labels)
        try FileManager.default.createDirectory(atPath: scratch.file("out"), withIntermediateDirectories: true)
        #expect {
            try segmenter.segment(inputs: [scratch.file("a.tif"), scratch.file("b.tif")], into: scratch.file("out"))
        } throws: { error in
            "\(error)".contains(scratch.file("b.tif")) && "\(error)".contains("has 2 channel(s)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("out")) == [])
    }
}
