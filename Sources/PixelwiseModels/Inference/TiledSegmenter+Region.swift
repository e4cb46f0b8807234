import PixelwiseCore
import PixelwiseNN

extension TiledSegmenter {
    /// Class probabilities of one rectangle of an image: `region` of an image of `height` ×
    /// `width`, the same values, bit for bit, that `segment` gives those pixels for the whole
    /// image. Blockwise segmentation of volumes with 2-D networks relies on it: any block of
    /// any slice can be segmented alone, by any process, and still equal the whole-slice result.
    ///
    /// Why it is exact: the tile size and grid come from the whole image's size (as in
    /// `segment`), never from the region; the tiles meeting the region are computed from the
    /// same input windows (read through `read`, mirrored at the image's true borders only) and
    /// added into each pixel in the same raster order with the same weights, so every sum and
    /// every division is the one `segment` does.
    ///
    /// - Parameters:
    ///   - read: the image's values (planar, `graph.inputChannels` × rows × columns, network-ready)
    ///     for a rectangle inside the image; called once per tile with the part of its input
    ///     window that lies inside the image.
    /// - Returns: the class count and the probabilities (planar, classes × region rows × columns).
    public func segment(height: Int, width: Int, region: (y: Range<Int>, x: Range<Int>),
                        read: (_ rows: Range<Int>, _ columns: Range<Int>) throws -> [Float]) throws -> (classes: Int, values: [Float]) {
        guard !region.y.isEmpty, !region.x.isEmpty, region.y.lowerBound >= 0, region.x.lowerBound >= 0,
              region.y.upperBound <= height, region.x.upperBound <= width else {
            throw PixelwiseError.invalidArgument("region y \(region.y), x \(region.x) is not inside the \(width)×\(height) image")
        }
        let channels = graph.inputChannels
        let (inputTile, outputTile) = tile(forHeight: height, width: width)
        let step = gridStep(outputTile)
        let ys = TiledSegmenter.origins(extent: height, tile: outputTile, step: step).filter { $0 < region.y.upperBound && $0 + outputTile > region.y.lowerBound }
        let xs = TiledSegmenter.origins(extent: width, tile: outputTile, step: step).filter { $0 < region.x.upperBound && $0 + outputTile > region.x.lowerBound }
        let ramp = Int(Double(outputTile) * overlap)
        let weight = blendWeights(outputTile: outputTile, ramp: ramp)
        let (rh, rw) = (region.y.count, region.x.count), plane = rh * rw
        var result: [Float] = []
        var weightSum = ramp > 0 ? [Float](repeating: 0, count: plane) : []
        var classes = 0
        for oy in ys {
            for ox in xs {
                // The input window, reflected into the image, and the rectangle of the image it reads.
                let rows = (0..<inputTile).map { TiledSegmenter.reflect(oy - context + $0, height) }
                let columns = (0..<inputTile).map { TiledSegmenter.reflect(ox - context + $0, width) }
                let (r0, c0) = (rows.min()!, columns.min()!)
                let (readRows, readColumns) = (r0..<(rows.max()! + 1), c0..<(columns.max()! + 1))
                let source = try read(readRows, readColumns)
                precondition(source.count == channels * readRows.count * readColumns.count, "TiledSegmenter: read returned \(source.count) values")
                var tile = Tensor(uninitialized: [1, channels, inputTile, inputTile])
                tile.withUnsafeMutableBufferPointer { out in
                    for c in 0..<channels {
                        for y in 0..<inputTile {
                            let row = (c * readRows.count + rows[y] - r0) * readColumns.count - c0
                            let o = (c * inputTile + y) * inputTile
                            for x in 0..<inputTile { out[o + x] = source[row + columns[x]] }
                        }
                    }
                }
                let out = try graph.forward(tile, mode: .inference)
                classes = out.shape[1]
                let probs = TiledSegmenter.probabilities(out)
                if result.isEmpty { result = [Float](repeating: 0, count: classes * plane) }
                for ty in 0..<outputTile where oy + ty < height && region.y.contains(oy + ty) {
                    for tx in 0..<outputTile where ox + tx < width && region.x.contains(ox + tx) {
                        let p = (oy + ty - region.y.lowerBound) * rw + ox + tx - region.x.lowerBound
                        if ramp > 0 {
                            let w = weight[ty * outputTile + tx]
                            weightSum[p] += w
                            for c in 0..<classes { result[c * plane + p] += w * probs[(c * outputTile + ty) * outputTile + tx] }
                        } else {
                            for c in 0..<classes { result[c * plane + p] = probs[(c * outputTile + ty) * outputTile + tx] }
                        }
                    }
                }
            }
        }
        if ramp > 0 {
            for c in 0..<classes { for p in 0..<plane { result[c * plane + p] /= weightSum[p] } }
        }
        return (classes, result)
    }

    /// Tiles `segment(height:width:region:read:)` computes for `region` (tiles meeting it).
    public func tileCount(height: Int, width: Int, region: (y: Range<Int>, x: Range<Int>)) -> Int {
        let (_, outputTile) = tile(forHeight: height, width: width)
        let step = gridStep(outputTile)
        let ys = TiledSegmenter.origins(extent: height, tile: outputTile, step: step).filter { $0 < region.y.upperBound && $0 + outputTile > region.y.lowerBound }
        let xs = TiledSegmenter.origins(extent: width, tile: outputTile, step: step).filter { $0 < region.x.upperBound && $0 + outputTile > region.x.lowerBound }
        return ys.count * xs.count
    }
}
