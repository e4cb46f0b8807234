import Foundation
import PixelwiseIO
import PixelwiseModels
import Testing

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
        #expect(scratch.contents("out") == ["grey.png", "rgb.png"])
        let grey = try Image(contentsOf: scratch.file("out/grey.png")), rgb = try Image(contentsOf: scratch.file("out/rgb.png"))
        #expect(grey.width == 70 && grey.height == 45 && grey.channels == 1)
        #expect(Set(grey.pixels).isSubset(of: [0, 255]))
        #expect(grey.pixels == rgb.pixels)
    }
}
