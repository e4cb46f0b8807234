import Testing
@testable import PixelwiseModels
import PixelwiseCore

@Suite struct TiledSegmenterTests {
    /// A valid-padding U-Net: tiling a non-square image larger than one tile, with or without
    /// overlap, gives the same probabilities as one untiled run over the whole mirrored image.
    @Test(arguments: [0.0, 0.25])
    func tiledEqualsUntiled(overlap: Double) throws {
        let graph = try UNet(depth: 2, baseFilters: 4, padding: .valid, batchNorm: false).makeGraph(seed: 5)
        let segmenter = try TiledSegmenter(graph: graph, tile: 76, overlap: overlap)
        #expect(segmenter.alignment == 4)
        let (width, height) = (segmenter.outputTile * 2 + 12, segmenter.outputTile + 28)
        let image = Tensor.random([1, 1, height, width], seed: 9)
        let tiled = try segmenter.segment(image)
        #expect(tiled.shape == [1, 2, height, width])

        // Untiled: one window covering the image plus context, rounded up to a size the net takes.
        let ctx = segmenter.context
        var (w, h) = (width + 2 * ctx, height + 2 * ctx)
        while (try? graph.outputShape(for: [1, 1, h, w])) == nil || (try! graph.outputShape(for: [1, 1, h, w]))[2] < height { h += 1 }
        while (try? graph.outputShape(for: [1, 1, h, w]))?[3] ?? 0 < width || (try? graph.outputShape(for: [1, 1, h, w])) == nil { w += 1 }
        let window = TiledSegmenter.mirroredWindow(image.scalars, channels: 1, width: width, height: height, x0: -ctx, y0: -ctx,
                                                   windowWidth: w, windowHeight: h)
        let whole = try graph.forward(window, mode: .inference)
        let probs = TiledSegmenter.probabilities(whole)
        let (oh, ow) = (whole.shape[2], whole.shape[3])
        let t = tiled.scalars
        var maxDiff: Float = 0
        for c in 0..<2 { for y in 0..<height { for x in 0..<width {
            maxDiff = max(maxDiff, abs(t[(c * height + y) * width + x] - probs[(c * oh + y) * ow + x]))
        } } }
        #expect(maxDiff < 1e-5)
        // Probabilities of the two classes sum to one.
        #expect(abs(t[0] + t[height * width] - 1) < 1e-5)
    }

    @Test func dihedralRoundTrips() {
        let x = Tensor.random([1, 2, 3, 5], seed: 1)
        for i in 0..<8 {
            let d = Dihedral(index: i)
            #expect(d.invert(d.apply(x)).scalars == x.scalars)
        }
        // Index 4 (transpose) moves (h, w) to (w, h).
        let t = Dihedral(index: 4).apply(x)
        #expect(t.shape == [1, 2, 5, 3])
        #expect(t.scalars[(0 * 5 + 4) * 3 + 1] == x.scalars[(0 * 3 + 1) * 5 + 4])
    }

    @Test func reflectionDoesNotRepeatTheEdge() {
        #expect((-3...6).map { TiledSegmenter.reflect($0, 4) } == [3, 2, 1, 0, 1, 2, 3, 2, 1, 0])
    }
}
