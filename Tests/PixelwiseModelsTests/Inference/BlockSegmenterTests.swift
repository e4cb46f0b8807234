import Testing
@testable import PixelwiseModels
import PixelwiseCore
import PixelwiseNN

/// Blockwise segmentation of volumes: boxes equal the whole volume bit for bit, a valid-padding
/// net tiled equals one untiled pass, symmetries undo themselves, blocks follow the budget.
@Suite struct BlockSegmenterTests {
    /// A volume in memory as the read/write closures see it (channel-major boxes).
    final class Box {
        let channels: Int, extent: [Int]
        var values: [Float]
        var reads: [([Int], [Int])] = []
        var writes = 0
        init(channels: Int, extent: [Int], values: [Float]) { (self.channels, self.extent, self.values) = (channels, extent, values) }

        func read(_ origin: [Int], _ size: [Int]) -> [Float] {
            reads.append((origin, size))
            precondition((0..<3).allSatisfy { origin[$0] >= 0 && origin[$0] + size[$0] <= extent[$0] }, "read outside the volume")
            var out: [Float] = []
            for c in 0..<channels { for z in 0..<size[0] { for y in 0..<size[1] { for x in 0..<size[2] {
                out.append(values[((c * extent[0] + origin[0] + z) * extent[1] + origin[1] + y) * extent[2] + origin[2] + x])
            } } } }
            return out
        }

        func write(_ v: [Float], _ origin: [Int], _ size: [Int]) {
            writes += 1
            var i = 0
            for c in 0..<channels { for z in 0..<size[0] { for y in 0..<size[1] { for x in 0..<size[2] {
                values[((c * extent[0] + origin[0] + z) * extent[1] + origin[1] + y) * extent[2] + origin[2] + x] = v[i]
                i += 1
            } } } }
        }
    }

    /// A small same-padding 3-D U-Net (pools 2×2×2 once).
    static func sameNet() throws -> Graph {
        var u = UNet(depth: 1, baseFilters: 2)
        u.spatialDimensions = 3
        return try u.makeGraph(seed: 7)
    }

    /// conv 3³ valid → relu → max-pool 2³ → conv 3³ valid → relu → nearest ×2 → conv 1³ (2 classes):
    /// a valid-padding net with pooling, so the grid phase matters.
    static func validNet() throws -> Graph {
        let g = Graph(inputChannels: 1, spatialRank: 3)
        var x = try g.add("c1", Convolution(.init(inputChannels: 1, outputChannels: 3, kernelSize: [3, 3, 3])), g.input)
        x = try g.add("r1", ReLU(), x)
        x = try g.add("p1", MaxPooling(.init(kernelSize: [2, 2, 2])), x)
        x = try g.add("c2", Convolution(.init(inputChannels: 3, outputChannels: 3, kernelSize: [3, 3, 3])), x)
        x = try g.add("r2", ReLU(), x)
        x = try g.add("u", Upsampling(.init(factor: [2, 2, 2], method: .nearest)), x)
        try g.add("classifier", Convolution(.init(inputChannels: 3, outputChannels: 2, kernelSize: [1, 1, 1])), x)
        g.resetParameters(seed: 11)
        return g
    }

    @Test func symmetriesUndoThemselvesAndMoveVoxelsAsDefined() {
        #expect(AxisSymmetry.group(rank: 3).count == 8)
        #expect(AxisSymmetry.group(rank: 3, permutable: [[1, 2]]).count == 16)
        #expect(AxisSymmetry.group(rank: 3, permutable: [[0, 1, 2]]).count == 48)
        #expect(Set(AxisSymmetry.group(rank: 3, permutable: [[0, 1, 2]])).count == 48)
        #expect(AxisSymmetry.group(rank: 3)[0].isIdentity)
        let x = Tensor.random([1, 2, 2, 3, 4], seed: 1)
        for s in AxisSymmetry.group(rank: 3, permutable: [[0, 1, 2]]) {
            #expect(s.inverse.apply(s.apply(x)).scalars == x.scalars, "\(s)")
        }
        // Output axes (x, -z, y): out[c, i, j, k] = in[c, 2-1-j, k, i]... written out by hand.
        let s = AxisSymmetry(permutation: [2, 0, 1], flips: [false, true, false])
        let y = s.apply(x)
        #expect(y.shape == [1, 2, 4, 2, 3])
        let (xv, yv) = (x.scalars, y.scalars)
        for c in 0..<2 { for i in 0..<4 { for j in 0..<2 { for k in 0..<3 {
            // out axis 0 = in x (i), out axis 1 = in z flipped (j), out axis 2 = in y (k).
            #expect(yv[((c * 4 + i) * 2 + j) * 3 + k] == xv[((c * 2 + (1 - j)) * 3 + k) * 4 + i])
        } } } }
    }

    /// The guarantee blockwise segmentation relies on: any box equals the whole volume's values there.
    @Test(arguments: [(0.0, false), (0.25, false), (0.25, true)])
    func aBoxEqualsTheWholeVolumeBitForBit(overlap: Double, augmentation: Bool) throws {
        let graph = try Self.sameNet()
        graph.inferenceStrategy = .planned(.float32)
        let extent = [13, 18, 21]
        let input = Box(channels: 1, extent: extent, values: Tensor.random(Shape([1, 1] + extent), seed: 3).scalars)
        // Blocks of 8 × 8 × 10 (8³ with augmentation: rotations of the cube need equal sides) and
        // write units of 2 grid cells: the box meets several blocks and units along every axis.
        let segmenter = try BlockSegmenter(graph: graph, extent: extent, memoryBudget: 80_000, block: [8, 8, 10], overlap: overlap,
                                           testTimeAugmentation: augmentation)
        #expect(segmenter.inputBlock == (augmentation ? [8, 8, 8] : [8, 8, 10]))
        #expect(segmenter.unitCells.contains { $0 > 1 }, "\(segmenter.unitCells)")
        #expect(segmenter.symmetries.count == (augmentation ? 48 : 1))
        let whole = Box(channels: 2, extent: extent, values: [Float](repeating: .nan, count: 2 * extent.reduce(1, *)))
        var reports: [BlockSegmenter.Progress] = []
        try segmenter.segment(origin: [0, 0, 0], size: extent, read: input.read, write: whole.write, progress: { reports.append($0) })
        #expect(!whole.values.contains { $0.isNaN })
        #expect(reports.map(\.blocksDone) == Array(1...reports.count) && reports.last!.blocksTotal == reports.count)
        #expect(reports.count == segmenter.blockCount(origin: [0, 0, 0], size: extent))

        let (origin, size) = ([5, 3, 7], [6, 11, 9])
        let part = Box(channels: 2, extent: extent, values: [Float](repeating: .nan, count: 2 * extent.reduce(1, *)))
        try segmenter.segment(origin: origin, size: size, read: input.read, write: part.write)
        #expect(part.writes > 1 && whole.writes > part.writes, "several write units")
        for c in 0..<2 { for z in 0..<extent[0] { for y in 0..<extent[1] { for x in 0..<extent[2] {
            let i = ((c * extent[0] + z) * extent[1] + y) * extent[2] + x
            let inside = (origin[0]..<origin[0] + size[0]).contains(z) && (origin[1]..<origin[1] + size[1]).contains(y) && (origin[2]..<origin[2] + size[2]).contains(x)
            if inside {
                #expect(part.values[i].bitPattern == whole.values[i].bitPattern)
            } else {
                #expect(part.values[i].isNaN, "nothing written outside the box")
            }
        } } } }
        // Probabilities of the two classes sum to one.
        #expect(abs(whole.values[0] + whole.values[extent.reduce(1, *)] - 1) < 1e-5)
    }

    /// A valid-padding net: segmenting block by block equals one pass over the whole mirrored volume.
    @Test(arguments: [0.0, 0.3])
    func tiledValidNetEqualsUntiled(overlap: Double) throws {
        let graph = try Self.validNet()
        let extent = [9, 14, 17]
        let raw = Tensor.random(Shape([1, 1] + extent), seed: 5).scalars
        let input = Box(channels: 1, extent: extent, values: raw)
        let segmenter = try BlockSegmenter(graph: graph, extent: extent, memoryBudget: 1 << 20, block: [14, 14, 14], overlap: overlap)
        // 14 → conv 12 → pool 6 → conv 4 → ×2 8: context 3.
        #expect(segmenter.context == [3, 3, 3] && segmenter.alignment == [2, 2, 2])
        #expect(segmenter.outputBlock == [8, 8, 8])
        let tiled = Box(channels: 2, extent: extent, values: [Float](repeating: 0, count: 2 * extent.reduce(1, *)))
        try segmenter.segment(origin: [0, 0, 0], size: extent, read: input.read, write: tiled.write)

        // Untiled: one window from −context, mirrored outside, large enough for the whole output.
        var window = extent.map { $0 + 6 }
        for a in 0..<3 where window[a] % 2 != 0 { window[a] += 1 }
        let whole = Box(channels: 1, extent: window, values: [])
        for z in 0..<window[0] { for y in 0..<window[1] { for x in 0..<window[2] {
            let (sz, sy, sx) = (TiledSegmenter.reflect(z - 3, extent[0]), TiledSegmenter.reflect(y - 3, extent[1]), TiledSegmenter.reflect(x - 3, extent[2]))
            whole.values.append(raw[(sz * extent[1] + sy) * extent[2] + sx])
        } } }
        let out = try graph.forward(Tensor(shape: Shape([1, 1] + window), scalars: whole.values), mode: .inference)
        let p = TiledSegmenter.probabilities(out), os = Array(out.shape.dims.dropFirst(2))
        var maxDifference: Float = 0
        for c in 0..<2 { for z in 0..<extent[0] { for y in 0..<extent[1] { for x in 0..<extent[2] {
            let t = tiled.values[((c * extent[0] + z) * extent[1] + y) * extent[2] + x]
            maxDifference = max(maxDifference, abs(t - p[((c * os[0] + z) * os[1] + y) * os[2] + x]))
        } } } }
        #expect(maxDifference < 1e-5)
    }

    /// Mirroring happens only at the volume's borders: an interior block reads its context from the volume.
    @Test func interiorBlocksReadTheirContext() throws {
        let graph = try Self.validNet()
        let extent = [20, 20, 20]
        let input = Box(channels: 1, extent: extent, values: Tensor.random(Shape([1, 1] + extent), seed: 2).scalars)
        let segmenter = try BlockSegmenter(graph: graph, extent: extent, memoryBudget: 1 << 20, block: [14, 14, 14])
        let sink = Box(channels: 2, extent: extent, values: [Float](repeating: 0, count: 2 * 8000))
        try segmenter.segment(origin: [8, 8, 8], size: [8, 8, 8], read: input.read, write: sink.write)
        // The box is the block at 8…16: its input 5…19 lies inside and is read as it is.
        #expect(input.reads.count == 1)
        #expect(input.reads[0].0 == [5, 5, 5] && input.reads[0].1 == [14, 14, 14])
    }

    /// The budget bounds the block, and a larger budget gives a larger block.
    @Test func blocksFollowTheMemoryBudget() throws {
        let graph = try Self.sameNet()
        let extent = [64, 64, 64]
        var previous = 0
        for budget in [1 << 20, 8 << 20, 64 << 20] {
            let s = try BlockSegmenter(graph: graph, extent: extent, memoryBudget: budget)
            let bytes = try #require(BlockSegmenter.activationBytes(graph, block: s.inputBlock))
            #expect(bytes <= budget * 3 / 4)
            let unitBytes = 4 * (s.classes + 1) * (0..<3).reduce(1) { $0 * s.unitCells[$1] * s.step[$1] }
            #expect(unitBytes <= budget / 4 || s.unitCells == [1, 1, 1])
            let voxels = s.inputBlock.reduce(1, *)
            #expect(voxels > previous, "budget \(budget): \(s.inputBlock)")
            previous = voxels
        }
        // Quarter turns in-plane need equal y and x blocks; anisotropic spacing: flips only.
        let inPlane = try BlockSegmenter(graph: graph, extent: [10, 40, 40], spacing: [5, 1, 1], memoryBudget: 4 << 20, testTimeAugmentation: true)
        #expect(inPlane.symmetries.count == 16 && inPlane.inputBlock[1] == inPlane.inputBlock[2])
        let flat = try BlockSegmenter(graph: graph, extent: [10, 40, 40], spacing: [1, 1, 2], memoryBudget: 4 << 20, testTimeAugmentation: true)
        #expect(flat.symmetries.count == 8)
        #expect(throws: PixelwiseError.self) { try BlockSegmenter(graph: graph, extent: [40, 40], memoryBudget: 1 << 20) }
    }

    /// A model's training patch is the smallest block chosen (capped at what covers the volume),
    /// when it fits; a budget too small for it falls back to the budget's choice.
    @Test func blocksAreAtLeastTheTrainingPatch() throws {
        let graph = try Self.sameNet()
        let extent = [24, 64, 64]
        let free = try BlockSegmenter(graph: graph, extent: extent, memoryBudget: 8 << 20)
        let patched = try BlockSegmenter(graph: graph, extent: extent, memoryBudget: 8 << 20, minimumBlock: [12, 16, 16])
        #expect(patched.inputBlock[0] >= 12 && patched.inputBlock[1] >= 16 && patched.inputBlock[2] >= 16, "\(patched.inputBlock)")
        let bytes = try #require(BlockSegmenter.activationBytes(graph, block: patched.inputBlock))
        #expect(bytes <= (8 << 20) * 3 / 4)
        #expect(free.inputBlock[0] < 12, "the case must be one the minimum changes: \(free.inputBlock)")
        // Deeper than the volume: the block that covers it.
        let thin = try BlockSegmenter(graph: graph, extent: [4, 64, 64], memoryBudget: 8 << 20, minimumBlock: [12, 8, 8])
        #expect(thin.outputBlock[0] >= 4 && thin.inputBlock[0] <= 8, "\(thin.inputBlock)")
        // A budget that cannot hold the patch: the budget wins.
        let tight = try BlockSegmenter(graph: graph, extent: extent, memoryBudget: 1 << 20, minimumBlock: [24, 64, 64])
        let tightBytes = try #require(BlockSegmenter.activationBytes(graph, block: tight.inputBlock))
        #expect(tightBytes <= (1 << 20) * 3 / 4)
    }
}
