import Foundation
import PixelwiseCore
import PixelwiseNN

/// Segments images of any size with a network that takes fixed-size tiles.
///
/// The image is covered by output tiles placed on a grid whose step is a multiple of the
/// network's alignment (the product of its pooling strides), so every tile sees the image at
/// the same phase of the pooling grid as an untiled run would. Each tile's input window extends
/// by the network's context beyond the output tile and is filled by mirroring at the image
/// borders (Tschopp §1.3). Overlapping tiles are blended with a weight that ramps smoothly to
/// the tile edges; for a valid-padding network this leaves interior values unchanged, because
/// every overlapping tile computes the same value there.
public struct TiledSegmenter {
    public let graph: Graph
    /// Input tile side in pixels (a size the network accepts).
    public let inputTile: Int
    /// Output tile side for `inputTile`.
    public let outputTile: Int
    /// Pixels the network needs on each side of its output (0 for same padding).
    public let context: Int
    /// Fraction of an output tile shared with its neighbour, in [0, 0.5].
    public let overlap: Double
    /// The output grid step is a multiple of this (product of pooling strides).
    public let alignment: Int

    /// - Parameters:
    ///   - tile: preferred input tile side; the nearest size the network accepts at or below it is used.
    public init(graph: Graph, tile: Int, overlap: Double = 0) throws {
        guard (0...0.5).contains(overlap) else { throw PixelwiseError.invalidArgument("overlap \(overlap) must be in [0, 0.5]") }
        self.graph = graph
        self.overlap = overlap
        alignment = TiledSegmenter.alignment(of: graph)
        var size = tile
        var out: Int?
        while size >= 1 {
            if let shape = try? graph.outputShape(for: [1, graph.inputChannels, size, size]), shape[2] > 0,
               (size - shape[2]) % 2 == 0 {
                out = shape[2]
                break
            }
            size -= 1
        }
        guard let out else { throw PixelwiseError.invalidArgument("the network accepts no input tile of \(tile) pixels or less") }
        inputTile = size
        outputTile = out
        context = (size - out) / 2
        var sizes: [(input: Int, output: Int)] = []
        for s in 1...(size * 13 / 10) {
            if let shape = try? graph.outputShape(for: [1, graph.inputChannels, s, s]), shape[2] > 0, (s - shape[2]) / 2 == context,
               (s - shape[2]) % 2 == 0 {
                sizes.append((s, shape[2]))
            }
        }
        acceptedSizes = sizes
    }

    /// Input sizes the network accepts (with the same context) up to 1.3 × `inputTile`, and their outputs.
    let acceptedSizes: [(input: Int, output: Int)]

    /// The tile (input, output side) that segments a height × width image with the least work.
    ///
    /// Work is modelled as tiles × input side² (the convolutions dominate, and their cost grows
    /// with the input area). Any accepted size up to `inputTile` may be used — a smaller tile that
    /// wastes less of its output at the image edge is often cheaper — and a size up to 30 % larger
    /// when one such tile covers the whole image (a 512² ISBI slice takes one 700² tile instead
    /// of four 572² ones).
    ///
    /// A same-padding network (context 0) is only exact on the whole image: every tile edge is
    /// a border it pads with zeros, and the smaller the tile the more of it lies near one. Such a
    /// network therefore gets `inputTile`, or one smaller tile when that covers the whole image —
    /// never many small ones (which the work model alone would pick, since they cost no context).
    public func tile(forHeight height: Int, width: Int) -> (input: Int, output: Int) {
        var best = (input: inputTile, output: outputTile), bestCost = Int.max
        for (input, output) in acceptedSizes {
            let step = gridStep(output)
            let tiles = TiledSegmenter.origins(extent: height, tile: output, step: step).count
                * TiledSegmenter.origins(extent: width, tile: output, step: step).count
            guard input <= inputTile || tiles == 1 else { continue }
            guard context > 0 || input == inputTile || tiles == 1 else { continue }
            let cost = tiles * input * input
            if cost < bestCost || (cost == bestCost && input > best.input) { (best, bestCost) = ((input, output), cost) }
        }
        return best
    }

    /// Tiles `segment` uses for a height × width image.
    public func tileCount(height: Int, width: Int) -> Int {
        let (_, output) = tile(forHeight: height, width: width)
        return TiledSegmenter.origins(extent: height, tile: output, step: gridStep(output)).count
            * TiledSegmenter.origins(extent: width, tile: output, step: gridStep(output)).count
    }

    /// Distance between tile origins for an output tile side: a multiple of `alignment`.
    func gridStep(_ output: Int) -> Int { TiledSegmenter.gridStep(output: output, overlap: overlap, alignment: alignment) }

    /// The grid step for an output tile side: (1 − overlap) of it, rounded down to a multiple of
    /// `alignment` (at least one alignment, at most the tile).
    static func gridStep(output: Int, overlap: Double, alignment: Int) -> Int {
        var step = Int(Double(output) * (1 - overlap))
        step = max(alignment, step / alignment * alignment)
        return min(step, output)
    }

    /// Product of the pooling strides along the network's deepest path (a safe alignment), on the first spatial axis.
    static func alignment(of graph: Graph) -> Int { alignments(of: graph)[0] }

    /// The same for every spatial axis ((z, y, x) for a 3-D network: 1×2×2 pooling leaves z alone).
    static func alignments(of graph: Graph) -> [Int] {
        (0..<graph.spatialRank).map { axis in
            var factor = [Int](repeating: 1, count: graph.nodes.count)
            for (i, node) in graph.nodes.enumerated() {
                var f = node.inputs.map { $0 >= 0 ? factor[$0] : 1 }.max() ?? 1
                if let w = node.layer.window, w.role == .pooling || w.role == .convolution { f *= w.stride[axis] }
                factor[i] = f
            }
            return factor.max() ?? 1
        }
    }

    /// The largest input tile whose activations (all kept, an upper bound) fit in `bytes`.
    public static func tileSize(for graph: Graph, memoryBudget bytes: Int, maximum: Int = 1024) -> Int {
        var best = 0
        var size = 16
        while size <= maximum {
            if let shapes = try? graph.shapes(for: [1, graph.inputChannels, size, size]) {
                let floats = shapes.reduce(0) { $0 + $1.count }
                if floats * 4 * 2 <= bytes { best = size } else { break }
            }
            size += 4
        }
        return max(best, 16)
    }

    /// Class probabilities (1, classes, H, W) for an image (1, C, H, W) of any size.
    /// `progress` is called with (tiles done, tiles total).
    ///
    /// The tiles run through `BlockSegmenter` (the same grid, mirroring and blending as volumes)
    /// with the whole image as its one write unit. Memory beyond the image and the result is one
    /// tile's network plan and the class sums (with a per-pixel weight sum only when tiles
    /// overlap; without overlap each pixel is written by the last tile covering it).
    public func segment(_ image: Tensor, progress: ((Int, Int) -> Void)? = nil) throws -> Tensor {
        let channels = image.shape[1], height = image.shape[2], width = image.shape[3]
        guard channels == graph.inputChannels else {
            throw PixelwiseError.shapeMismatch("the image has \(channels) channels, the network takes \(graph.inputChannels)")
        }
        // The tiles run through the N-d block segmenter: one write unit, the whole image.
        let blocks = try blockSegmenter(height: height, width: width)
        let classes = blocks.classes
        let source = image.inLayout(.rowMajor)
        var result: Tensor?
        try source.withUnsafeBufferPointer { src in
            try blocks.segment(origin: [0, 0], size: [height, width], read: { origin, size in
                var box = [Float](); box.reserveCapacity(channels * size[0] * size[1])
                for c in 0..<channels { for y in origin[0]..<(origin[0] + size[0]) {
                    let row = (c * height + y) * width
                    box.append(contentsOf: src[(row + origin[1])..<(row + origin[1] + size[1])])
                } }
                return box
            }, write: { values, origin, size in
                precondition(origin == [0, 0] && size == [height, width], "one write unit covers the image")
                result = Tensor(shape: [1, classes, height, width], scalars: values)
            }, progress: { progress?($0.blocksDone, $0.blocksTotal) })
        }
        guard let result else { throw PixelwiseError.invalidArgument("the image is empty") }
        return result
    }

    /// Averages the segmentations of the 8 rotations and flips of the image (test-time augmentation).
    public func segmentWithAugmentation(_ image: Tensor, progress: ((Int, Int) -> Void)? = nil) throws -> Tensor {
        var sum: Tensor?
        for t in 0..<8 {
            let transformed = Dihedral(index: t).apply(image)
            let p = Dihedral(index: t).invert(try segment(transformed))
            progress?(t + 1, 8)
            if sum == nil { sum = p } else { sum!.add(p) }
        }
        sum!.scale(by: 1.0 / 8)
        return sum!
    }

    static func origins(extent: Int, tile: Int, step: Int) -> [Int] {
        var o: [Int] = [0]
        while o.last! + tile < extent { o.append(o.last! + step) }
        return o
    }

    /// Weights that fall smoothly (raised cosine) to a small positive value at the tile edges
    /// over `ramp` pixels; 1 everywhere without overlap.
    /// The blend weight along one axis of an output tile; a tile's weight is the product over its axes.
    static func blendLine(outputTile: Int, ramp: Int) -> [Float] {
        (0..<outputTile).map { i in
            guard ramp > 0 else { return 1 }
            let d = min(i, outputTile - 1 - i)
            if d >= ramp { return 1 }
            return Float(0.5 - 0.5 * cos(Double.pi * (Double(d) + 0.5) / Double(ramp + 1))) + 1e-3
        }
    }

    /// Reflects index i into 0..<n without repeating the edge pixel (…, 2, 1, 0, 1, 2, …).
    static func reflect(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        let period = 2 * (n - 1)
        var j = i % period
        if j < 0 { j += period }
        return j < n ? j : period - j
    }

    /// A window of a row-major (C, H, W) image with mirrored borders, as (1, C, windowHeight, windowWidth).
    public static func mirroredWindow(_ src: [Float], channels: Int, width: Int, height: Int, x0: Int, y0: Int,
                                      windowWidth: Int, windowHeight: Int) -> Tensor {
        src.withUnsafeBufferPointer {
            mirroredWindow($0, channels: channels, width: width, height: height, x0: x0, y0: y0,
                           windowWidth: windowWidth, windowHeight: windowHeight)
        }
    }

    /// The same, reading the image in place and writing straight into the tile tensor.
    static func mirroredWindow(_ src: UnsafeBufferPointer<Float>, channels: Int, width: Int, height: Int, x0: Int, y0: Int,
                               windowWidth: Int, windowHeight: Int) -> Tensor {
        var tile = Tensor(uninitialized: [1, channels, windowHeight, windowWidth])
        let xs = (0..<windowWidth).map { reflect(x0 + $0, width) }
        tile.withUnsafeMutableBufferPointer { out in
            for c in 0..<channels {
                for y in 0..<windowHeight {
                    let row = c * width * height + reflect(y0 + y, height) * width
                    let o = (c * windowHeight + y) * windowWidth
                    for x in 0..<windowWidth { out[o + x] = src[row + xs[x]] }
                }
            }
        }
        return tile
    }

    public static func mirroredWindow(_ src: [Float], channels: Int, width: Int, height: Int, x0: Int, y0: Int, size: Int) -> Tensor {
        mirroredWindow(src, channels: channels, width: width, height: height, x0: x0, y0: y0, windowWidth: size, windowHeight: size)
    }

    /// Row-major probabilities from logits: the sigmoid for one output channel, else the channel softmax.
    public static func probabilities(_ logits: Tensor) -> [Float] {
        let c = logits.shape[1]
        if c == 1 { return logits.scalars.map { 1 / (1 + exp(-$0)) } }
        var cl = logits.inLayout(.channelsLast)
        cl.withUnsafeMutableBufferPointer { Softmax.softmaxInPlace($0, channels: c) }
        return cl.scalars
    }
}
