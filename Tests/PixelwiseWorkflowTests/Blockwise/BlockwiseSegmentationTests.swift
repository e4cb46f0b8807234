import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseKernels
import PixelwiseModels
import PixelwiseTestSupport
import Testing
@testable import PixelwiseWorkflow

/// Blockwise segmentation equals the whole-volume result bit for bit, writes whole chunks once,
/// and resumes from its completion records.
@Suite struct BlockwiseSegmentationTests {
    static let size = [3, 83, 71]

    /// A grey uint8 volume of deterministic noise with some structure.
    func rawVolume(chunks: [Int]? = nil) -> ChunkedTestVolume {
        var random = SplitMix64(seed: 7)
        let s = Self.size
        let values = (0..<(s[0] * s[1] * s[2])).map { i -> Float in
            let x = i % s[2], y = i / s[2] % s[1]
            return Float(((x + 2 * y) % 19 < 3 ? 60 : 170) + Int(random.next() % 50))
        }
        return ChunkedTestVolume(name: "raw", geometry: VolumeGeometry(channels: 1, size: s, sampleType: .uint8), values: values, chunkSize: chunks)
    }

    func segmenter(preset: String, output: Segmenter.Output = .labels, classes: Int = 2, seed: UInt64 = 3, tile: Int) throws -> Segmenter {
        Threads.set(1)
        let graph = try ModelZoo.preset(named: preset).makeGraph(PresetOptions(classes: classes, baseFilters: 2, seed: seed))
        graph.metadata["model"] = preset
        var options = Segmenter.Options()
        options.tile = tile
        options.output = output
        return try Segmenter(graph: graph, name: "\(preset)-\(seed)", options: options)
    }

    /// The single-process, whole-slice result: `Segmenter.segment(_ image:)` on every slice,
    /// channel-major like a volume.
    func wholeSlices(_ segmenter: Segmenter, _ raw: ChunkedTestVolume) throws -> [Float] {
        let s = Self.size, plane = s[1] * s[2]
        var slices: [Image] = []
        for z in 0..<s[0] {
            let values = try raw.read(VoxelBox(origin: [z, 0, 0], size: [1, s[1], s[2]]))
            slices.append(try segmenter.segment(Image(width: s[2], height: s[1], channels: 1, sampleType: .uint8, pixels: values)))
        }
        let channels = slices[0].channels
        var out = [Float](repeating: 0, count: channels * s[0] * plane)
        for c in 0..<channels { for z in 0..<s[0] { for p in 0..<plane { out[(c * s[0] + z) * plane + p] = slices[z].pixels[p * channels + c] } } }
        return out
    }

    /// 2-D networks, valid padding (Tschopp's U-Net) and same padding (the `unet` preset), labels
    /// and per-class float probabilities: blocks of a few chunks equal the whole slices, and
    /// every chunk is written once, by a write of whole chunks.
    @Test(arguments: [("tschopp-unet", Segmenter.Output.labels, 2, 220), ("tschopp-unet", .floatProbabilities, 3, 220),
                      ("unet", .labels, 2, 48), ("unet", .floatProbabilities, 2, 48)])
    func blocksOfA2DNetworkEqualTheWholeSlices(preset: String, output: Segmenter.Output, classes: Int, tile: Int) throws {
        let segmenter = try segmenter(preset: preset, output: output, classes: classes, tile: tile)
        let raw = rawVolume()
        let geometry = segmenter.outputGeometry(for: raw.geometry)
        #expect(geometry.channels == (output == .labels ? 1 : classes > 2 ? classes : 1))
        let out = ChunkedTestVolume(name: "seg", geometry: geometry, chunkSize: [1, 16, 24])
        let blockwise = try BlockwiseSegmentation(input: raw, output: out, segmenter: segmenter, blockSize: [2, 30, 40])
        #expect(blockwise.grid.blockSize == [2, 32, 48])
        #expect(blockwise.grid.count == 2 * 3 * 2)
        let summary = try blockwise.run(schedule: BlockShare(grid: blockwise.grid))
        #expect(summary.computed == Array(0..<12) && summary.skipped.isEmpty)
        #expect(out.values == (try wholeSlices(segmenter, raw)))
        #expect(out.chunkWrites.count == 3 * 6 * 3 && out.chunkWrites.values.allSatisfy { $0 == 1 })
    }

    /// 3-D networks, same padding (`unet3d`) and valid padding (`unet3d-valid`), with blending:
    /// blocks of whole chunks equal the whole-volume result of `Segmenter.segment(volume:into:)`.
    @Test(arguments: [("unet3d", Segmenter.Output.labels, [8, 16, 16]), ("unet3d", .floatProbabilities, [8, 16, 16]),
                      ("unet3d-valid", .floatProbabilities, [116, 116, 116])])
    func blocksOfA3DNetworkEqualTheWholeVolume(preset: String, output: Segmenter.Output, block: [Int]) throws {
        Threads.set(1)
        let graph = try ModelZoo.preset(named: preset).makeGraph(PresetOptions(baseFilters: 2, seed: 4))
        graph.metadata["model"] = preset
        var options = Segmenter.Options()
        options.output = output
        options.memoryBudget = 256 << 20
        options.block = block
        options.overlap = 0.25
        let segmenter = try Segmenter(graph: graph, name: preset, options: options)
        let size = [10, 26, 22]
        var random = SplitMix64(seed: 9)
        let raw = ChunkedTestVolume(name: "raw", geometry: VolumeGeometry(channels: 1, size: size, sampleType: .uint8),
                                    values: (0..<(size.reduce(1, *))).map { _ in Float(random.next() % 256) })
        let whole = InMemoryVolume(geometry: VolumeGeometry(channels: segmenter.volumeOutputChannels, size: size, sampleType: .float32))
        try segmenter.segment(volume: raw, into: whole)

        let out = ChunkedTestVolume(name: "seg", geometry: segmenter.outputGeometry(for: raw.geometry), chunkSize: [4, 8, 8])
        let blockwise = try BlockwiseSegmentation(input: raw, output: out, segmenter: segmenter, blockSize: [4, 16, 8])
        #expect(blockwise.grid.count == 3 * 2 * 3)
        try blockwise.run(schedule: BlockShare(grid: blockwise.grid))
        #expect(out.values == whole.values)
        #expect(out.chunkWrites.count == 3 * 4 * 3 && out.chunkWrites.values.allSatisfy { $0 == 1 })
    }

    @Test func sharesCoverEveryBlockOnce() throws {
        let grid = try BlockGrid(volumeSize: [10, 100, 90], chunkSize: [4, 32, 32], requested: [4, 40, 40])
        #expect(grid.blockSize == [4, 64, 64])
        #expect(grid.counts == [3, 2, 2])
        for shares in 1...15 {
            let ranges = (0..<shares).map { grid.share($0, of: shares) }
            #expect(ranges.flatMap { Array($0) } == Array(0..<grid.count), "\(shares) shares")
            #expect(ranges.map(\.count).max()! - ranges.map(\.count).min()! <= 1)
        }
        // The blocks tile the volume exactly.
        var covered = [Int](repeating: 0, count: 10 * 100 * 90)
        for i in 0..<grid.count {
            let b = grid.box(i)
            #expect(b.isInside(grid.volumeSize))
            for z in b.origin[0]..<b.end[0] { for y in b.origin[1]..<b.end[1] { for x in b.origin[2]..<b.end[2] { covered[(z * 100 + y) * 90 + x] += 1 } } }
        }
        #expect(covered.allSatisfy { $0 == 1 })
        // Without chunks the default block, clipped to the volume.
        #expect(try BlockGrid(volumeSize: [3, 1000, 200], chunkSize: nil).blockSize == [3, 512, 200])
    }

    /// A run stopped after k blocks (as a killed one) and rerun does only the missing blocks and
    /// ends with the same values; another model refuses the store; `restart` starts again.
    @Test func aStoppedRunResumesWithTheMissingBlocks() throws {
        let scratch = try ScratchFolder()
        let segmenter = try segmenter(preset: "tschopp-unet", tile: 220)
        let raw = rawVolume()
        let out = ChunkedTestVolume(name: "seg", geometry: segmenter.outputGeometry(for: raw.geometry), chunkSize: [1, 32, 32])
        func blockwise(_ s: Segmenter, restart: Bool = false) throws -> BlockwiseSegmentation {
            let grid = try BlockGrid(volumeSize: raw.geometry.size, chunkSize: out.chunkSize, requested: [1, 64, 64])
            let records = try BlockRecords(folder: scratch.file("records"), run: BlockwiseSegmentation.runDescription(input: raw, output: out, segmenter: s, grid: grid),
                                           restart: restart, output: out.name)
            return try BlockwiseSegmentation(input: raw, output: out, segmenter: s, blockSize: [1, 64, 64], records: records)
        }
        let first = try blockwise(segmenter)
        #expect(first.grid.count == 3 * 2 * 2)
        let stopped = try first.run(schedule: BlockShare(grid: first.grid), stopAfter: 5)
        #expect(stopped.computed == [0, 1, 2, 3, 4])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("records")).filter { $0.hasPrefix("done-") }.count == 5)

        var lines: [String] = []
        let resumed = try blockwise(segmenter).run(schedule: BlockShare(grid: first.grid)) { lines.append($0.description) }
        #expect(resumed.skipped == [0, 1, 2, 3, 4] && resumed.computed == Array(5..<12))
        #expect(out.values == (try wholeSlices(segmenter, raw)))
        #expect(out.chunkWrites.values.allSatisfy { $0 == 1 }, "a resumed run rewrote a finished block")
        #expect(lines.last?.hasPrefix("blocks 12/12 done") == true, "\(lines)")

        // Another model (other weights) must not add its blocks to this volume.
        let other = try self.segmenter(preset: "tschopp-unet", seed: 4, tile: 220)
        #expect { try blockwise(other) } throws: { error in
            "\(error)".contains("seg") && "\(error)".contains("another run") && "\(error)".contains("--restart")
        }
        // Restarting forgets every block.
        let restarted = try blockwise(other, restart: true).run(schedule: BlockShare(grid: first.grid))
        #expect(restarted.computed == Array(0..<12))
        #expect(out.values == (try wholeSlices(other, raw)))
    }

    /// The run's algorithm table: the first process measures and records it, the others (and a
    /// rerun) read that one — never their own — and the segmenter runs exactly its choices;
    /// `restart` forgets it; a damaged table is a one-line error.
    @Test func everyProcessFollowsTheRecordedAlgorithmTable() throws {
        let scratch = try ScratchFolder()
        let raw = rawVolume()
        func run(_ s: Segmenter, restart: Bool = false) throws -> BlockwiseSegmentation {
            let out = ChunkedTestVolume(name: "seg", geometry: s.outputGeometry(for: raw.geometry), chunkSize: [1, 32, 32])
            let grid = try BlockGrid(volumeSize: raw.geometry.size, chunkSize: out.chunkSize, requested: [1, 64, 64])
            let records = try BlockRecords(folder: scratch.file("records"), run: BlockwiseSegmentation.runDescription(input: raw, output: out, segmenter: s, grid: grid),
                                           restart: restart, output: out.name)
            return try BlockwiseSegmentation(input: raw, output: out, segmenter: s, blockSize: [1, 64, 64], records: records)
        }
        let first = try segmenter(preset: "tschopp-unet", tile: 220)
        #expect(first.measuresAlgorithms)
        try run(first).agreeOnAlgorithms(measuringThreads: 2)
        #expect(Threads.count == 1)  // measured at 2 threads, then back to the process's own
        let path = scratch.file("records/algorithms.json")
        let recorded = try JSONDecoder().decode(AlgorithmTable.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(!recorded.choices.isEmpty && recorded.choices.keys.allSatisfy { $0.hasPrefix("plan forward") })
        guard case .recorded(let followed) = first.graph.inferenceOptions.algorithms else { Issue.record("not following a table"); return }
        #expect(followed == recorded)
        // The plan the blocks run computes exactly the recorded choices.
        #expect(try first.graph.inferenceAlgorithmTable(inputShape: Shape([1, 1, 220, 220])) == recorded)

        // A second process (or a rerun) follows the file even when it would choose otherwise.
        var planted = recorded
        let key = try #require(planted.choices.keys.sorted().first)
        planted.choices[key] = planted.choices[key] == .direct ? .winograd : .direct
        try JSONEncoder().encode(planted).write(to: URL(fileURLWithPath: path))
        let second = try segmenter(preset: "tschopp-unet", tile: 220)
        try run(second).agreeOnAlgorithms()
        guard case .recorded(let secondTable) = second.graph.inferenceOptions.algorithms else { Issue.record("not following a table"); return }
        #expect(secondTable == planted)

        // --restart forgets the table; fixed algorithms (--exact) record none.
        let exact = try segmenter(preset: "tschopp-unet", tile: 220)
        exact.graph.inferenceOptions.algorithms = .exact
        #expect(!exact.measuresAlgorithms)
        try run(exact, restart: true).agreeOnAlgorithms()
        #expect(!FileManager.default.fileExists(atPath: path))
        try "{".write(toFile: path, atomically: true, encoding: .utf8)
        let third = try segmenter(preset: "tschopp-unet", tile: 220)
        #expect { try run(third).agreeOnAlgorithms() } throws: { "\($0)".hasPrefix(path + ": is not an algorithm table") && !"\($0)".contains("\n") }
    }
}
