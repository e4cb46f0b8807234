import Foundation
import PixelwiseCore
import PixelwiseIO
import PixelwiseKernels

/// Segments a volume of any size block by block into a chunked output: what `pixelwise segment
/// VOLUME --out STORE` does, alone, under `mpirun` or as a Slurm job array.
///
/// The output is cut into blocks of whole output chunks (`BlockGrid`); each block is segmented
/// with its context by a `VolumeBoxSegmenting` (the 2-D slice path: `Segmenter`), whose value
/// for a voxel does not depend on the block asking for it, and written in one `write` covering
/// whole chunks, so no two writers share a chunk and the volume equals, bit for bit, the
/// single-process whole-volume result whatever the blocks and however they are shared out.
/// With `BlockRecords`, each finished block leaves a marker in the output store after its
/// chunks; a rerun of the same command skips marked blocks and does only the missing ones.
///
/// Memory: one block's output values, plus what the box segmenter needs for one tile.
public final class BlockwiseSegmentation {
    public let input: any VolumeReading
    public let output: any VolumeWriting
    public let segmenter: any VolumeBoxSegmenting
    public let grid: BlockGrid
    public let records: BlockRecords?

    /// What a run reports after each block.
    public struct Progress: Sendable, CustomStringConvertible {
        public var block: Int
        public var box: VoxelBox
        /// False when the block was complete already (a resumed run).
        public var computed: Bool
        /// Over every process of the run.
        public var totals: BlockTotals
        public var blocksTotal: Int
        public var processes: Int
        public var seconds: Double
        /// Blocks complete before this run started (resume).
        public var alreadyDone: Int

        /// Voxels per second computed over the run so far (all processes).
        public var voxelsPerSecond: Double { seconds > 0 ? Double(totals.voxels) / seconds : 0 }
        /// Seconds left at the rate so far (blocks computed by this run per second).
        public var remainingSeconds: Double {
            let computed = totals.blocks - alreadyDone
            guard computed > 0, seconds > 0 else { return .nan }
            return Double(blocksTotal - totals.blocks) * seconds / Double(computed)
        }

        public var description: String {
            let eta = remainingSeconds.isFinite ? Self.duration(remainingSeconds) : "?"
            return String(format: "blocks %d/%d done%@, %.2f Mvoxels/s, ETA %@", totals.blocks, blocksTotal,
                          processes > 1 ? " (\(processes) processes)" : "", voxelsPerSecond / 1e6, eta)
        }

        static func duration(_ seconds: Double) -> String {
            let s = Int(seconds.rounded())
            return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60) : s >= 60 ? String(format: "%dm%02ds", s / 60, s % 60) : "\(s)s"
        }
    }

    /// What one process did.
    public struct Summary: Sendable, Equatable {
        /// Blocks this process segmented.
        public var computed: [Int]
        /// Blocks it found complete (markers of an earlier run) and skipped.
        public var skipped: [Int]
    }

    /// - Parameters:
    ///   - blockSize: along (z, y, x), rounded up to whole output chunks; nil: `preferredBlock`.
    ///   - records: completion records (nil: no resume).
    public init(input: any VolumeReading, output: any VolumeWriting, segmenter: any VolumeBoxSegmenting,
                blockSize: [Int]? = nil, preferredBlock: [Int] = [64, 512, 512], records: BlockRecords? = nil) throws {
        let expected = segmenter.outputGeometry(for: input.geometry)
        guard output.geometry.size == input.geometry.size, output.geometry.channels == expected.channels else {
            throw PixelwiseError.file(path: output.name, problem: "is \(output.geometry.channels) channel(s) of \(output.geometry.size.map(String.init).joined(separator: "×")); segmenting \(input.name) gives \(expected.channels) of \(expected.size.map(String.init).joined(separator: "×"))")
        }
        self.input = input
        self.output = output
        self.segmenter = segmenter
        self.records = records
        grid = try BlockGrid(volumeSize: input.geometry.size, chunkSize: output.chunkSize, requested: blockSize, preferred: preferredBlock)
    }

    /// Makes the segmenter follow the run's algorithm table (`BlockRecords.algorithms`: the one
    /// kept in the records, or measured now by the run's first process), so that every block is the
    /// same computation whichever process, thread count or rerun does it — measured choices differ
    /// with the thread count and with timing noise, and a few voxels at the threshold with them.
    /// Without records (one process writing an HDF5 file) or with fixed algorithms: nothing.
    ///
    /// `measuringThreads`: measure as a process with this many threads would (the table is then
    /// the one a lone process with that many threads measures — pass the machine's cores, and a
    /// run of N processes gives what one process using every core gives, bit for bit).
    public func agreeOnAlgorithms(measuringThreads: Int? = nil) throws {
        guard let records, segmenter.measuresAlgorithms else { return }
        segmenter.follow(try records.algorithms {
            let own = Threads.count
            if let measuringThreads { Threads.set(measuringThreads) }
            defer { Threads.set(own) }
            return try segmenter.algorithmTable(for: input.geometry)
        })
    }

    /// What identifies this run for `BlockRecords`: the segmenter's identity, the input, the
    /// output and the block grid.
    public static func runDescription(input: any VolumeReading, output: any VolumeWriting, segmenter: any VolumeBoxSegmenting,
                                      grid: BlockGrid) -> [String: String] {
        var run = segmenter.identity
        run["input"] = input.name
        run["input-size"] = input.geometry.size.map(String.init).joined(separator: "×")
        run["output"] = output.name
        run["blocks"] = grid.blockSize.map(String.init).joined(separator: "×")
        return run
    }

    /// Segments the blocks `schedule` hands this process, writing each and marking it done.
    /// `stopAfter` (tests, benchmarks of resume) stops after that many computed blocks, as a
    /// killed run would. Does not call `output.finish()`: the caller does, once every process is done.
    @discardableResult
    public func run(schedule: BlockScheduling, stopAfter: Int? = nil, progress: ((Progress) -> Void)? = nil) throws -> Summary {
        let clock = Date()
        let alreadyDone = records?.done().count ?? 0
        var summary = Summary(computed: [], skipped: [])
        while stopAfter.map({ summary.computed.count < $0 }) ?? true, let block = try schedule.nextBlock() {
            let box = grid.box(block)
            let computed: Bool
            if let records, records.isDone(block) {
                summary.skipped.append(block)
                computed = false
            } else {
                let values = try segmenter.segment(box, of: input)
                try output.write(values, at: box)
                try records?.markDone(block)
                summary.computed.append(block)
                computed = true
            }
            let totals = try schedule.finished(voxels: box.voxels, computed: computed)
            progress?(Progress(block: block, box: box, computed: computed, totals: totals, blocksTotal: grid.count,
                               processes: schedule.processes, seconds: Date().timeIntervalSince(clock), alreadyDone: alreadyDone))
        }
        return summary
    }
}
