import PixelwiseCore
import PixelwiseNN

extension TiledSegmenter {
    /// The block segmenter `segment` runs an image of `height` × `width` through: its tile grid,
    /// mirroring and blending, with the whole image as one write unit. Everything in it comes from
    /// the image's size and this tiling, never from a region asked for.
    func blockSegmenter(height: Int, width: Int) throws -> BlockSegmenter {
        let (inputTile, outputTile) = tile(forHeight: height, width: width)
        let step = gridStep(outputTile), ramp = Int(Double(outputTile) * overlap)
        let cells = max(height, width) / step + 1
        let classes = try graph.outputShape(for: [1, graph.inputChannels, inputTile, inputTile])[1]
        return BlockSegmenter(graph: graph, extent: [height, width], inputBlock: [inputTile, inputTile], outputBlock: [outputTile, outputTile],
                              context: [context, context], alignment: [alignment, alignment], step: [step, step], ramp: [ramp, ramp],
                              symmetries: [.identity(rank: 2)], unitCells: [cells, cells], classes: classes)
    }

    /// Class probabilities of one rectangle of an image: `region` of an image of `height` ×
    /// `width`, the same values, bit for bit, that `segment` gives those pixels for the whole
    /// image. Blockwise segmentation of volumes with 2-D networks relies on it: any block of
    /// any slice can be segmented alone, by any process, and still equal the whole-slice result.
    ///
    /// Exact because the tile grid comes from the whole image (`blockSegmenter(height:width:)`,
    /// the one `segment` uses) and `BlockSegmenter` computes a box's values from the tiles
    /// covering it exactly as for the whole image (see its "Exactness of boxes").
    ///
    /// - Parameters:
    ///   - read: the image's values (planar, `graph.inputChannels` × rows × columns, network-ready)
    ///     for a rectangle inside the image.
    /// - Returns: the class count and the probabilities (planar, classes × region rows × columns).
    public func segment(height: Int, width: Int, region: (y: Range<Int>, x: Range<Int>),
                        read: (_ rows: Range<Int>, _ columns: Range<Int>) throws -> [Float]) throws -> (classes: Int, values: [Float]) {
        guard !region.y.isEmpty, !region.x.isEmpty, region.y.lowerBound >= 0, region.x.lowerBound >= 0,
              region.y.upperBound <= height, region.x.upperBound <= width else {
            throw PixelwiseError.invalidArgument("region y \(region.y), x \(region.x) is not inside the \(width)×\(height) image")
        }
        let blocks = try blockSegmenter(height: height, width: width)
        var result: [Float] = []
        try blocks.segment(origin: [region.y.lowerBound, region.x.lowerBound], size: [region.y.count, region.x.count], read: { origin, size in
            try read(origin[0]..<(origin[0] + size[0]), origin[1]..<(origin[1] + size[1]))
        }, write: { values, origin, size in
            precondition(origin == [region.y.lowerBound, region.x.lowerBound] && size == [region.y.count, region.x.count], "one write unit covers the region")
            result = values
        })
        return (blocks.classes, result)
    }

    /// Tiles `segment(height:width:region:read:)` computes for `region` (tiles meeting it).
    public func tileCount(height: Int, width: Int, region: (y: Range<Int>, x: Range<Int>)) throws -> Int {
        try blockSegmenter(height: height, width: width).blockCount(origin: [region.y.lowerBound, region.x.lowerBound], size: [region.y.count, region.x.count])
    }
}
