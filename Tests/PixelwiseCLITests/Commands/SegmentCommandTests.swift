import Foundation
import PixelwiseIO
import PixelwiseModels
import Testing
import PixelwiseTestSupport

/// `pixelwise segment` with a valid-padding network: tiling must not change the result.
@Suite struct SegmentCommandTests {
    /// Tschopp's valid-padding U-Net at 4 base filters (context 92 px each side), freshly
    /// initialised: its outputs vary from pixel to pixel, which is all tiling equality needs.
    static func writeValidModel(to path: String) throws {
        let graph = try ModelZoo.preset(named: "tschopp-unet").makeGraph(PresetOptions(baseFilters: 4, seed: 3))
        graph.metadata["model"] = "tschopp-unet"
        try ModelFile(graph: graph).write(to: path)
    }

    /// A non-square 150×100 image segmented in 36² output tiles (220² input, 5×3 tiles with
    /// blended overlaps) equals the same image in one 164² output tile (348² input).
    @Test func tiledEqualsUntiledForAValidNetwork() throws {
        let scratch = try ScratchFolder()
        try Self.writeValidModel(to: scratch.file("valid.h5"))
        let label = SyntheticData.labels(width: 150, height: 100, seed: 4)
        try SyntheticData.raw(for: label, seed: 4).write(to: scratch.file("wide.png"))

        let small = try CLI.run(["segment", "--model", "valid.h5", "wide.png", "--out", "small", "--tile", "220", "--float", "--threads", "1"],
                                in: scratch.path)
        #expect(small.status == 0, "\(small.transcript)")
        #expect(small.stderr.contains("tiles 220² → 36²"), "\(small.transcript)")
        let large = try CLI.run(["segment", "--model", "valid.h5", "wide.png", "--out", "large", "--tile", "348", "--float", "--threads", "1"],
                                in: scratch.path)
        #expect(large.status == 0, "\(large.transcript)")
        #expect(large.stderr.contains("tiles 348² → 164²"), "\(large.transcript)")

        let tiled = try Image(contentsOf: scratch.file("small/wide.tif")), whole = try Image(contentsOf: scratch.file("large/wide.tif"))
        #expect(tiled.width == 150 && tiled.height == 100 && tiled.channels == 1 && tiled.sampleType == .float32)
        #expect(whole.width == 150 && whole.height == 100)
        let difference = zip(tiled.pixels, whole.pixels).map { abs($0 - $1) }.max() ?? .infinity
        #expect(difference <= 1e-5, "largest difference \(difference)")
        // The comparison means something only if the map is not flat.
        let spread = (whole.pixels.max() ?? 0) - (whole.pixels.min() ?? 0)
        #expect(spread > 1e-3, "probability spread \(spread)")
    }

    /// Labels come out as 0/255 PNGs of the input's size; an RGB file given to a grey model is
    /// converted to grey (the mean of R, G, B), so it segments exactly like its grey version.
    @Test func labelOutputAndColourInput() throws {
        let scratch = try ScratchFolder()
        try Self.writeValidModel(to: scratch.file("valid.h5"))
        let label = SyntheticData.labels(width: 70, height: 45, seed: 2)
        try scratch.makeFolder("in")
        try SyntheticData.raw(for: label, seed: 2).write(to: scratch.file("in/grey.png"))
        try SyntheticData.raw(for: label, seed: 2, channels: 3).write(to: scratch.file("in/rgb.png"))

        let result = try CLI.run(["segment", "--model", "valid.h5", "in", "--out", "out", "--tile", "220", "--threads", "1"], in: scratch.path)
        #expect(result.status == 0, "\(result.transcript)")
        #expect(try scratch.contents("out") == ["grey.png", "rgb.png"])
        let grey = try Image(contentsOf: scratch.file("out/grey.png")), rgb = try Image(contentsOf: scratch.file("out/rgb.png"))
        #expect(grey.width == 70 && grey.height == 45 && grey.channels == 1)
        #expect(Set(grey.pixels).isSubset(of: [0, 255]))
        #expect(grey.pixels == rgb.pixels)
    }

    /// A [3,H,W] uint8 HDF5 volume named `FILE.h5:/volumes/raw` segments slice by slice exactly
    /// like the same three slices as a multi-page TIFF, and lands in OUT/FILE_volumes_raw.tif.
    @Test func hdf5VolumeSegmentsLikeTheSameTIFFStack() throws {
        let scratch = try ScratchFolder()
        try Self.writeValidModel(to: scratch.file("valid.h5"))
        let slices = (0..<3).map { SyntheticData.raw(for: SyntheticData.labels(width: 60, height: 40, seed: 10 + $0), seed: 10 + $0) }
        try ImageStack.write(slices, to: scratch.file("stack.tif"))
        let file = try HDF5File(creating: scratch.file("cremi.h5"))
        try file.write(slices.flatMap { $0.pixels.map { UInt8($0) } }, shape: [3, 40, 60], at: "/volumes/raw")
        file.close()

        let fromVolume = try CLI.run(["segment", "--model", "valid.h5", "cremi.h5:/volumes/raw", "--out", "v", "--tile", "220", "--float", "--threads", "1"],
                                     in: scratch.path)
        #expect(fromVolume.status == 0, "\(fromVolume.transcript)")
        let fromStack = try CLI.run(["segment", "--model", "valid.h5", "stack.tif", "--out", "s", "--tile", "220", "--float", "--threads", "1"],
                                    in: scratch.path)
        #expect(fromStack.status == 0, "\(fromStack.transcript)")
        #expect(try scratch.contents("v") == ["cremi_volumes_raw.tif"])
        let volumePages = try ImageStack(path: scratch.file("v/cremi_volumes_raw.tif")).readAll()
        let stackPages = try ImageStack(path: scratch.file("s/stack.tif")).readAll()
        #expect(volumePages.count == 3 && volumePages.map(\.width) == [60, 60, 60])
        #expect(volumePages.map(\.pixels) == stackPages.map(\.pixels))
        #expect(Set(volumePages[0].pixels).count > 10, "the probability map should not be flat")

        // The file without a dataset names the datasets it holds; a missing dataset names itself.
        let bare = try CLI.run(["segment", "--model", "valid.h5", "cremi.h5", "--out", "b"], in: scratch.path)
        #expect(bare.status != 0 && bare.stderr.contains("cremi.h5: an HDF5 file holds datasets, not one image: name one as cremi.h5:/DATASET (it holds /volumes/raw)"),
                "\(bare.transcript)")
        let missing = try CLI.run(["segment", "--model", "valid.h5", "cremi.h5:/volumes/nope", "--out", "m"], in: scratch.path)
        #expect(missing.status != 0 && missing.stderr.contains("no dataset /volumes/nope"), "\(missing.transcript)")
        #expect(!scratch.exists("b") && !scratch.exists("m"))

        // `inspect` lists a data file's datasets and describes a volume like a stack.
        let inspected = try CLI.run(["inspect", "cremi.h5", "cremi.h5:/volumes/raw"], in: scratch.path)
        #expect(inspected.status == 0, "\(inspected.transcript)")
        #expect(inspected.stdout.contains("cremi.h5: HDF5 data (not a model), 1 dataset: /volumes/raw [3,40,60]; segment or train on one as cremi.h5:/DATASET"),
                "\(inspected.transcript)")
        #expect(inspected.stdout.contains("cremi.h5:/volumes/raw: HDF5 60×40, 3 pages, 1 channel, uint8, min "), "\(inspected.transcript)")
    }
}
