import Foundation
import PixelwiseCore
import PixelwiseNN

/// Segments any box of a volume (or image) of any size, block by block, with memory bounded by a
/// budget whatever the volume's size: the tiled segmentation of `TiledSegmenter` for any number
/// of spatial axes (the network's `spatialRank`: 3 for volumes along (z, y, x), 2 for images along
/// (y, x)). It reads and writes through closures, so it knows no file format; PixelwiseWorkflow
/// connects it to `VolumeReading`/`VolumeWriting`.
///
/// **The grid.** Output blocks of `outputBlock` voxels start at multiples of `step` along each axis,
/// counted from the volume's origin (0, 0, 0) — never from the box being segmented. `step` is a
/// multiple of the network's pooling factor on that axis, so every block sees the volume at the
/// phase of the pooling grid an untiled run would. The last block along an axis is the first one
/// reaching the volume's end (it may stick out). Each block's input reaches `context` voxels
/// beyond its output on each side; only what lies outside the volume is mirrored (`reflect`:
/// …, 2, 1, 0, 1, 2, …) — inside, the context is the neighbouring voxels, as an untiled run sees.
///
/// **Blending.** Where blocks overlap (`overlap` > 0) a voxel's value is Σ wᵢ pᵢ / Σ wᵢ over the
/// blocks covering it, summed in the grid's raster order, wᵢ the product over axes of a weight
/// that falls smoothly to 10⁻³ over `ramp` voxels at the block edges (`TiledSegmenter.blendLine`).
/// Without ramps (overlap 0) each voxel takes the last block in raster order that covers it.
///
/// **Test-time augmentation.** With `symmetries` beyond the identity, each block is segmented
/// under every symmetry, brought back and averaged (in the list's order) before blending.
/// `init` picks the symmetries that fit: flips of every axis, quarter turns in the y–x plane
/// where y and x have the same spacing and the network treats them alike, rotations of the cube
/// where all three spacings are equal and the network treats every axis alike.
///
/// **Exactness of boxes (what blockwise segmentation relies on).** The value written for a voxel
/// depends only on the grid (a function of the volume's extent and the options given to `init`,
/// never of the box), on the blocks covering that voxel, which are read, computed and summed
/// the same way whatever box asked for them, and on the network's forward pass for a block of
/// the one `inputBlock` shape, which is deterministic on a given machine and thread count (the
/// same compiled plan with the same primitives). So segmenting box B writes, bit for bit, the
/// values that segmenting the whole volume writes inside B — as long as both use a segmenter
/// made with the same graph, extent, spacing, budget, block, overlap and augmentation.
///
/// **Memory.** One block's network activations (the block is the largest the budget's three
/// quarters allow, `activationBytes`), and one write unit — a group of `unitCells` grid cells per
/// axis, its class sums and weights within the last quarter of the budget. Units are written as
/// they are finished; blocks straddling two units are computed once for each (the price of flat
/// memory; the unit is as large as the budget allows to keep it small).
public struct BlockSegmenter {
    public let graph: Graph
    /// The volume's size along its spatial axes ((z, y, x) or (y, x)).
    public let extent: [Int]
    /// The network's input block and the output it gives, per axis.
    public let inputBlock: [Int]
    public let outputBlock: [Int]
    /// Voxels the network needs on each side of its output, per axis (0 for same padding).
    public let context: [Int]
    /// The product of the pooling strides per axis; grid steps are multiples of it.
    public let alignment: [Int]
    /// Distance between block origins, per axis.
    public let step: [Int]
    /// Blend ramps per axis (0: no blending).
    public let ramp: [Int]
    /// Symmetries each block is segmented under (just the identity without augmentation).
    public let symmetries: [AxisSymmetry]
    /// Grid cells per write unit along each axis.
    public let unitCells: [Int]
    /// Output channels (classes; 1 for a sigmoid output).
    public let classes: Int

    /// What `segment` reports after each block.
    public struct Progress: Sendable, CustomStringConvertible {
        public var blocksDone: Int
        public var blocksTotal: Int
        public var seconds: Double
        /// Time left at the rate so far.
        public var remainingSeconds: Double { blocksDone == 0 ? .nan : seconds / Double(blocksDone) * Double(blocksTotal - blocksDone) }

        public var description: String {
            String(format: "block %d/%d, %.1f s, about %.0f s left", blocksDone, blocksTotal, seconds, remainingSeconds)
        }
    }

    /// - Parameters:
    ///   - extent: the whole volume's size, per spatial axis of the network.
    ///   - spacing: physical voxel spacing per axis (nil: isotropic); decides which symmetries fit.
    ///   - memoryBudget: bytes for one block's activations and one write unit.
    ///   - block: the input block per axis (the nearest sizes the network accepts at or below are
    ///     used); nil: the block with the least modelled work that fits the budget.
    ///   - minimumBlock: without `block`, the chosen block's input is at least this per axis
    ///     (or covers the volume along it) when that fits the budget — a model's training patch,
    ///     so that a same-padding network sees at least the depth it learned from.
    ///   - overlap: fraction of a block shared with its neighbours along each axis, in [0, 0.5].
    ///   - testTimeAugmentation: segment every block under the symmetries that fit and average.
    public init(graph: Graph, extent: [Int], spacing: [Double]? = nil, memoryBudget: Int, block: [Int]? = nil,
                minimumBlock: [Int]? = nil, overlap: Double = 0, testTimeAugmentation: Bool = false) throws {
        let rank = graph.spatialRank
        guard extent.count == rank, extent.allSatisfy({ $0 > 0 }) else {
            throw PixelwiseError.shapeMismatch("a \(rank)-D network segments \(rank)-D volumes; this one is \(extent.map(String.init).joined(separator: "×"))")
        }
        guard (0...0.5).contains(overlap) else { throw PixelwiseError.invalidArgument("overlap \(overlap) must be in [0, 0.5]") }
        let sizes = try Self.acceptedSizes(graph, maximum: [Int](repeating: extent.max()!, count: rank))
        let alignment = TiledSegmenter.alignments(of: graph)

        // Axes that may be exchanged: equal spacing and the same sizes, context and alignment.
        let spacing = spacing ?? [Double](repeating: 1, count: rank)
        func alike(_ a: Int, _ b: Int) -> Bool {
            spacing[a] == spacing[b] && alignment[a] == alignment[b] && sizes.context[a] == sizes.context[b]
                && sizes.perAxis[a].map(\.input) == sizes.perAxis[b].map(\.input)
        }
        var tied: [[Int]] = (0..<rank).map { [$0] }
        var permutable: [[Int]] = []
        if testTimeAugmentation, rank >= 2, alike(rank - 2, rank - 1) {
            if rank == 3, alike(0, 1) { permutable = [[0, 1, 2]]; tied = [[0, 1, 2]] } else {
                permutable = [[rank - 2, rank - 1]]
                tied = (0..<(rank - 2)).map { [$0] } + [[rank - 2, rank - 1]]
            }
        }
        symmetries = testTimeAugmentation ? AxisSymmetry.group(rank: rank, permutable: permutable) : [.identity(rank: rank)]

        // The block: given, or the least work that fits three quarters of the budget.
        var choice: [Int]
        if let block {
            guard block.count == rank else { throw PixelwiseError.invalidArgument("the block has \(block.count) sizes; the network has \(rank) spatial axes") }
            choice = try (0..<rank).map { a in
                guard let i = sizes.perAxis[a].lastIndex(where: { $0.input <= block[a] }) else {
                    throw PixelwiseError.invalidArgument("the network accepts no block of \(block[a]) voxels or less along axis \(a)")
                }
                return i
            }
            for group in tied { let m = group.map { choice[$0] }.min()!; for a in group { choice[a] = m } }
        } else {
            choice = Self.chooseBlock(graph, sizes: sizes.perAxis, extent: extent, overlap: overlap, alignment: alignment,
                                      tied: tied, bytes: memoryBudget * 3 / 4, minimum: minimumBlock)
        }
        inputBlock = (0..<rank).map { sizes.perAxis[$0][choice[$0]].input }
        outputBlock = (0..<rank).map { sizes.perAxis[$0][choice[$0]].output }
        self.graph = graph
        self.extent = extent
        self.alignment = alignment
        context = sizes.context
        let outputs = (0..<rank).map { sizes.perAxis[$0][choice[$0]].output }
        let step = (0..<rank).map { TiledSegmenter.gridStep(output: outputs[$0], overlap: overlap, alignment: alignment[$0]) }
        self.step = step
        ramp = outputs.map { Int(Double($0) * overlap) }
        let classes = try graph.outputShape(for: Shape([1, graph.inputChannels] + (0..<rank).map { sizes.perAxis[$0][choice[$0]].input }))[1]
        self.classes = classes

        // Write units: as many grid cells as the last quarter of the budget holds (class sums + weights).
        var cells = [Int](repeating: 1, count: rank)
        let unitBytes = { (c: [Int]) in (0..<rank).reduce(4 * (classes + 1)) { $0 * c[$1] * step[$1] } }
        var grew = true
        while grew {
            grew = false
            for a in 0..<rank where cells[a] * step[a] < extent[a] {
                var next = cells
                next[a] += 1
                if unitBytes(next) <= memoryBudget / 4 { cells = next; grew = true }
            }
        }
        unitCells = cells
    }

    /// A segmenter with every choice given (`TiledSegmenter` runs its tiles through this).
    init(graph: Graph, extent: [Int], inputBlock: [Int], outputBlock: [Int], context: [Int], alignment: [Int], step: [Int],
         ramp: [Int], symmetries: [AxisSymmetry], unitCells: [Int], classes: Int) {
        self.graph = graph
        self.extent = extent
        self.inputBlock = inputBlock
        self.outputBlock = outputBlock
        self.context = context
        self.alignment = alignment
        self.step = step
        self.ramp = ramp
        self.symmetries = symmetries
        self.unitCells = unitCells
        self.classes = classes
    }

    /// Memory for one forward pass over an input of `block`: every activation kept (an upper bound), ×2.
    public static func activationBytes(_ graph: Graph, block: [Int]) -> Int? {
        guard let shapes = try? graph.shapes(for: Shape([1, graph.inputChannels] + block)) else { return nil }
        return shapes.reduce(graph.inputChannels * block.reduce(1, *)) { $0 + $1.count } * 4 * 2
    }

    /// Input sizes the network accepts along each axis (the others held at an accepted size), with
    /// their outputs, all with the same context, up to the size that covers `maximum` along the axis.
    static func acceptedSizes(_ graph: Graph, maximum: [Int]) throws -> (perAxis: [[(input: Int, output: Int)]], context: [Int]) {
        let rank = graph.spatialRank
        func output(_ shape: [Int]) -> [Int]? {
            guard let s = try? graph.outputShape(for: Shape([1, graph.inputChannels] + shape)) else { return nil }
            let out = Array(s.dims.dropFirst(2))
            guard out.count == rank, out.allSatisfy({ $0 > 0 }), zip(shape, out).allSatisfy({ ($0 - $1) >= 0 && ($0 - $1) % 2 == 0 }) else { return nil }
            return out
        }
        var base: [Int]?
        for side in 1...1024 where output([Int](repeating: side, count: rank)) != nil { base = [Int](repeating: side, count: rank); break }
        guard let base, let baseOut = output(base) else {
            throw PixelwiseError.invalidArgument("the network accepts no input block of 1024 voxels a side or less")
        }
        let context = zip(base, baseOut).map { ($0 - $1) / 2 }
        var perAxis: [[(input: Int, output: Int)]] = []
        for a in 0..<rank {
            var list: [(input: Int, output: Int)] = []
            var side = 1
            while side <= 4096 {
                var shape = base
                shape[a] = side
                if let out = output(shape), (side - out[a]) / 2 == context[a] {
                    list.append((side, out[a]))
                    if out[a] >= maximum[a] { break }
                }
                side += 1
            }
            perAxis.append(list)
        }
        return (perAxis, context)
    }

    /// The block (indices into each axis's accepted sizes) with about the least modelled work for
    /// the whole volume — blocks × input voxels, the convolutions' cost — whose activations fit
    /// `bytes`; axes in one `tied` group keep one size. Grown greedily from the smallest block —
    /// or from the smallest whose input is at least `minimum` per axis (capped at the size that
    /// covers the volume), when that fits.
    static func chooseBlock(_ graph: Graph, sizes: [[(input: Int, output: Int)]], extent: [Int], overlap: Double,
                            alignment: [Int], tied: [[Int]], bytes: Int, minimum: [Int]? = nil) -> [Int] {
        let rank = extent.count
        func cost(_ c: [Int]) -> Double {
            (0..<rank).reduce(1.0) { total, a in
                let (input, output) = sizes[a][c[a]]
                let step = TiledSegmenter.gridStep(output: output, overlap: overlap, alignment: alignment[a])
                // Without context a block's edges are where it is least exact: count 2 pooling factors
                // on each side as if they were context, so thin slabs lose to balanced blocks.
                let edge = input == output ? 2 * alignment[a] : 0
                return total * Double(TiledSegmenter.origins(extent: extent[a], tile: output, step: step).count) * Double(input + edge)
            }
        }
        func fits(_ c: [Int]) -> Bool {
            (activationBytes(graph, block: (0..<rank).map { sizes[$0][c[$0]].input }) ?? .max) <= bytes
        }
        var current = [Int](repeating: 0, count: rank)
        if let minimum, minimum.count == rank {
            current = (0..<rank).map { a in sizes[a].firstIndex { $0.input >= minimum[a] || $0.output >= extent[a] } ?? sizes[a].count - 1 }
        }
        for group in tied where group.count > 1 {
            // Tied axes have the same size lists; start them at the same index.
            let m = group.map { current[$0] }.max()!
            for a in group { current[a] = m }
        }
        if !fits(current) { current = [Int](repeating: 0, count: rank) }
        // Larger blocks are taken while they cost at most 2 % more than the cheapest so far: a
        // same-padding network (no context) costs about the same at every size, but is exact only
        // away from block edges and pays a fixed price per block, so it gets the largest that fits.
        var cheapest = cost(current)
        while true {
            var next: (choice: [Int], cost: Double)?
            for group in tied {
                let a = group[0]
                for i in (current[a] + 1)..<max(current[a] + 1, sizes[a].count) {
                    var c = current
                    for b in group { c[b] = min(i, sizes[b].count - 1) }
                    guard fits(c) else { break }
                    let k = cost(c)
                    if k <= cheapest * 1.02, k < (next?.cost ?? .infinity) { next = (c, k) }
                }
            }
            guard let next else { return current }
            current = next.choice
            cheapest = min(cheapest, next.cost)
        }
    }

    /// Block origins (output coordinates) along axis a.
    func origins(_ a: Int) -> [Int] { TiledSegmenter.origins(extent: extent[a], tile: outputBlock[a], step: step[a]) }

    /// Blocks `segment` computes for `box` (blocks straddling write units are counted once per unit).
    public func blockCount(origin: [Int], size: [Int]) -> Int {
        (0..<extent.count).reduce(1) { total, a in total * units(a, origin[a], origin[a] + size[a]).reduce(0) { $0 + $1.blocks.count } }
    }

    /// The write units along axis a meeting [lo, hi), each clipped to it, with the blocks covering it.
    func units(_ a: Int, _ lo: Int, _ hi: Int) -> [(range: Range<Int>, blocks: [Int])] {
        let starts = origins(a)
        let last = starts.count - 1, span = unitCells[a] * step[a]
        let unitCount = (last + unitCells[a]) / unitCells[a]   // cells 0...last grouped by unitCells
        var result: [(range: Range<Int>, blocks: [Int])] = []
        for u in 0..<unitCount {
            let start = u * span, end = u == unitCount - 1 ? extent[a] : (u + 1) * span
            guard max(start, lo) < min(end, hi) else { continue }
            let range = max(start, lo)..<min(end, hi)
            let blocks = starts.indices.filter { starts[$0] < range.upperBound && starts[$0] + outputBlock[a] > range.lowerBound }
            result.append((range, blocks))
        }
        return result
    }

    /// Segments the box `origin`, `size` (inside the volume), writing class probabilities
    /// (`classes` channels, channel-major like `read`) a write unit at a time.
    ///
    /// - Parameters:
    ///   - read: the volume's values (`graph.inputChannels` channels, channel-major) in a box given
    ///     by its origin and size; called only with boxes inside the volume.
    ///   - write: probabilities for a box inside `origin`, `size`; the boxes written tile it exactly.
    public func segment(origin: [Int], size: [Int],
                        read: (_ origin: [Int], _ size: [Int]) throws -> [Float],
                        write: (_ values: [Float], _ origin: [Int], _ size: [Int]) throws -> Void,
                        progress: ((Progress) -> Void)? = nil) throws {
        let rank = extent.count
        guard origin.count == rank, size.count == rank, (0..<rank).allSatisfy({ origin[$0] >= 0 && size[$0] > 0 && origin[$0] + size[$0] <= extent[$0] }) else {
            throw PixelwiseError.invalidArgument("box at \(origin) of \(size) is not inside the volume \(extent.map(String.init).joined(separator: "×"))")
        }
        let axisUnits = (0..<rank).map { units($0, origin[$0], origin[$0] + size[$0]) }
        let starts = (0..<rank).map(origins)
        let lines = (0..<rank).map { TiledSegmenter.blendLine(outputTile: outputBlock[$0], ramp: ramp[$0]) }
        let blending = ramp.contains { $0 > 0 }
        let total = (0..<rank).reduce(1) { t, a in t * axisUnits[a].reduce(0) { $0 + $1.blocks.count } }
        let clock = Date()
        var done = 0

        for unit in product(axisUnits.map { $0.indices.map { $0 } }) {
            let ranges = (0..<rank).map { axisUnits[$0][unit[$0]].range }
            let unitSize = ranges.map(\.count), voxels = unitSize.reduce(1, *)
            var sums = [Float](repeating: 0, count: classes * voxels)
            var weights = blending ? [Float](repeating: 0, count: voxels) : []
            for blockIndex in product((0..<rank).map { axisUnits[$0][unit[$0]].blocks }) {
                let blockOrigin = (0..<rank).map { starts[$0][blockIndex[$0]] }
                let probabilities = try segmentBlock(at: blockOrigin, read: read)
                // The block's output ∩ the unit, in unit and block coordinates.
                let lo = (0..<rank).map { max(blockOrigin[$0], ranges[$0].lowerBound) }
                let hi = (0..<rank).map { min(blockOrigin[$0] + outputBlock[$0], ranges[$0].upperBound) }
                let blockVoxels = outputBlock.reduce(1, *)
                for position in product((0..<(rank - 1)).map { Array(lo[$0]..<hi[$0]) }) {
                    var u = 0, b = 0, w: Float = 1
                    for a in 0..<(rank - 1) {
                        u = u * unitSize[a] + position[a] - ranges[a].lowerBound
                        b = b * outputBlock[a] + position[a] - blockOrigin[a]
                        w *= lines[a][position[a] - blockOrigin[a]]
                    }
                    let x = rank - 1
                    u = u * unitSize[x] + lo[x] - ranges[x].lowerBound
                    b = b * outputBlock[x] + lo[x] - blockOrigin[x]
                    let line = lines[x], bx = lo[x] - blockOrigin[x]
                    for i in 0..<(hi[x] - lo[x]) {
                        if blending {
                            let wi = w * line[bx + i]
                            weights[u + i] += wi
                            for c in 0..<classes { sums[c * voxels + u + i] += wi * probabilities[c * blockVoxels + b + i] }
                        } else {
                            for c in 0..<classes { sums[c * voxels + u + i] = probabilities[c * blockVoxels + b + i] }
                        }
                    }
                }
                done += 1
                progress?(Progress(blocksDone: done, blocksTotal: total, seconds: Date().timeIntervalSince(clock)))
            }
            if blending {
                for c in 0..<classes { for v in 0..<voxels { sums[c * voxels + v] /= weights[v] } }
            }
            try write(sums, ranges.map(\.lowerBound), unitSize)
        }
    }

    /// Class probabilities (channel-major, `classes` × `outputBlock`) of the block whose output
    /// starts at `blockOrigin`, averaged over `symmetries`.
    func segmentBlock(at blockOrigin: [Int], read: ([Int], [Int]) throws -> [Float]) throws -> [Float] {
        let input = try mirroredBlock(at: (0..<extent.count).map { blockOrigin[$0] - context[$0] }, read: read)
        if symmetries.count == 1, symmetries[0].isIdentity {
            return TiledSegmenter.probabilities(try graph.forward(input, mode: .inference))
        }
        var sum: [Float] = []
        for symmetry in symmetries {
            let out = try graph.forward(symmetry.apply(input), mode: .inference)
            let p = symmetry.inverse.apply(Tensor(shape: out.shape, scalars: TiledSegmenter.probabilities(out))).scalars
            if sum.isEmpty { sum = p } else { for i in sum.indices { sum[i] += p[i] } }
        }
        let n = Float(symmetries.count)
        return sum.map { $0 / n }
    }

    /// The input block starting at `start` (may lie partly outside the volume): the part inside
    /// is read, the rest mirrored at the volume's borders.
    func mirroredBlock(at start: [Int], read: ([Int], [Int]) throws -> [Float]) throws -> Tensor {
        let rank = extent.count, channels = graph.inputChannels
        let indices = (0..<rank).map { a in (0..<inputBlock[a]).map { TiledSegmenter.reflect(start[a] + $0, extent[a]) } }
        let readOrigin = indices.map { $0.min()! }, readSize = (0..<rank).map { indices[$0].max()! - readOrigin[$0] + 1 }
        let values = try read(readOrigin, readSize)
        let readVoxels = readSize.reduce(1, *), blockVoxels = inputBlock.reduce(1, *)
        precondition(values.count == channels * readVoxels, "BlockSegmenter: read returned \(values.count) values for \(channels) × \(readSize)")
        var tile = Tensor(uninitialized: Shape([1, channels] + inputBlock))
        let x = rank - 1
        let columns = indices[x].map { $0 - readOrigin[x] }
        tile.withUnsafeMutableBufferPointer { out in
            var o = 0
            for c in 0..<channels {
                for position in product((0..<x).map { Array(0..<inputBlock[$0]) }) {
                    var r = c
                    for a in 0..<x { r = r * readSize[a] + indices[a][position[a]] - readOrigin[a] }
                    r *= readSize[x]
                    for i in 0..<inputBlock[x] { out[o + i] = values[r + columns[i]] }
                    o += inputBlock[x]
                }
            }
            precondition(o == channels * blockVoxels)
        }
        return tile
    }
}

/// Every combination of one element of each list, the last list varying fastest ([[]] for none).
func product(_ lists: [[Int]]) -> [[Int]] {
    lists.reduce([[]]) { partial, list in partial.flatMap { p in list.map { p + [$0] } } }
}
