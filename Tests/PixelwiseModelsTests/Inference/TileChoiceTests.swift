import Testing
@testable import PixelwiseModels
import PixelwiseCore

@Suite struct TileChoiceTests {
    /// Tiles are chosen per image for the least work (tiles × input side²): a large image uses
    /// the full tile, an image a little larger than one tile's output gets one slightly larger
    /// tile instead of four, and a small image gets a small tile. Every choice still equals the
    /// untiled result (`TiledSegmenterTests`), so only the work changes.
    @Test func choosesTheCheapestTiling() throws {
        let graph = try UNet(depth: 2, baseFilters: 4, padding: .valid, batchNorm: false).makeGraph(seed: 5)
        let segmenter = try TiledSegmenter(graph: graph, tile: 76, overlap: 0)
        #expect(segmenter.outputTile == 36 && segmenter.inputTile == 76)

        let large = segmenter.tile(forHeight: 360, width: 360)
        #expect(large.input == 76)
        #expect(segmenter.tileCount(height: 360, width: 360) == 100)

        // 40² is just over one 36² output: one 80² tile (out 40) beats four 76² ones.
        let slightlyLarger = segmenter.tile(forHeight: 40, width: 40)
        #expect(slightlyLarger == (80, 40) || slightlyLarger.input * slightlyLarger.input < 4 * 76 * 76)
        #expect(segmenter.tileCount(height: 40, width: 40) == 1)

        let small = segmenter.tile(forHeight: 10, width: 10)
        #expect(small.output >= 10 && small.input < 76)

        // And the segmentation of the slightly larger image is the same as with the fixed tile.
        let image = Tensor.random([1, 1, 40, 40], seed: 3)
        let chosen = try segmenter.segment(image)
        let untiled = try graph.forward(TiledSegmenter.mirroredWindow(image.scalars, channels: 1, width: 40, height: 40,
                                                                      x0: -segmenter.context, y0: -segmenter.context,
                                                                      windowWidth: 80, windowHeight: 80), mode: .inference)
        #expect(chosen.maxAbsDifference(Tensor(shape: [1, 2, 40, 40], scalars: TiledSegmenter.probabilities(untiled))) < 1e-5)
    }

    /// A same-padding network is not exact under tiling, so it must never be cut into many small
    /// tiles. With overlap, small tiles looked cheapest (their grid step rounds up to no overlap at
    /// all): a 1024² ssTEM section was segmented in 16² tiles and its pixel error went from 0.042
    /// to 0.093. Now: the full tile, or one tile for the whole image, and close to the untiled result.
    @Test func samePaddingNetworksKeepLargeTiles() throws {
        let graph = try UNet(depth: 2, baseFilters: 4, padding: .same, batchNorm: false).makeGraph(seed: 5)
        let segmenter = try TiledSegmenter(graph: graph, tile: 64, overlap: 0.125)
        #expect(segmenter.context == 0 && segmenter.inputTile == 64)
        #expect(segmenter.tile(forHeight: 256, width: 256) == (64, 64))
        #expect(segmenter.tile(forHeight: 256, width: 200) == (64, 64))
        #expect(segmenter.tileCount(height: 256, width: 256) == 25)  // step 56 (64·0.875, a multiple of 4)
        #expect(segmenter.tile(forHeight: 40, width: 36).input == 40)  // one tile for a small image

        let image = Tensor.random([1, 1, 160, 160], in: 0...1, seed: 8)
        let tiled = try segmenter.segment(image)
        let whole = Tensor(shape: [1, 2, 160, 160], scalars: TiledSegmenter.probabilities(try graph.forward(image, mode: .inference)))
        var sum: Float = 0
        for (a, b) in zip(tiled.scalars, whole.scalars) { sum += abs(a - b) }
        let meanDifference = sum / Float(tiled.shape.count)
        #expect(meanDifference < 0.02, "mean |tiled − whole| \(meanDifference)")
    }
}
