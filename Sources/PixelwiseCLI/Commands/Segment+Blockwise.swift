import ArgumentParser
import Foundation
import PixelwiseCore
import PixelwiseDistributed
import PixelwiseIO
import PixelwiseKernels
import PixelwiseWorkflow

/// `pixelwise segment VOLUME --out STORE`: blockwise segmentation into a chunked store (zarr,
/// N5, chunked HDF5), alone, under `mpirun` (blocks handed out dynamically) or as share K of N
/// (`--block-range`, a Slurm job array); resumable from the store's completion records.
extension Segment {
    /// Whether `--out` names an array in a store (FILE.zarr/PATH, FILE.n5/PATH, FILE.h5:/PATH)
    /// rather than an output folder.
    var writesToStore: Bool {
        switch ChunkedStores.location(out) {
        case .hdf5: return true
        case let .folder(_, root, _): return root != nil
        }
    }

    /// `--block-range K/N` as (K, N).
    static func blockRange(_ text: String) throws -> (share: Int, shares: Int) {
        let parts = text.split(separator: "/").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let k = parts[0], let n = parts[1], n > 0, (0..<n).contains(k) else {
            throw ValidationError("--block-range takes K/N with 0 ≤ K < N (e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT), got \(text)")
        }
        return (k, n)
    }

    func segmentBlockwise(_ segmenter: Segmenter) throws {
        guard inputs.count == 1 else {
            throw ValidationError("segmenting into a store (\(out)) takes one input volume, got \(inputs.count)")
        }
        let launchedByMPI = MPIProcessGroup.isLaunchedByMPI
        if launchedByMPI, blockRange != nil {
            throw ValidationError("--block-range shares the blocks without MPI; under mpirun the processes share them by themselves")
        }
        guard !launchedByMPI else {
            let group = try MPIProcessGroup()
            if compute.threads == nil { Threads.set(max(1, ProcessInfo.processInfo.activeProcessorCount / group.localSize)) }
            do {
                try runBlockwise(segmenter, group: group)
                group.finish()
            } catch {
                // Process 0 reports; MPI_Abort then ends every process (one may wait in a barrier).
                if group.rank == 0 {
                    FileHandle.standardError.write(Data("pixelwise: error: \((error as? PixelwiseError)?.description ?? "\(error)")\n".utf8))
                } else {
                    sleep(5)
                }
                group.abort(code: 1)
            }
            return
        }
        try runBlockwise(segmenter, group: nil)
    }

    /// The store's output array: created, or reopened as it is (a rerun) when it matches.
    func openOutput(_ segmenter: Segmenter, input: any VolumeReading) throws -> (any VolumeWriting, records: String?) {
        let geometry = segmenter.outputGeometry(for: input.geometry)
        let size = geometry.size
        let chunks = try chunks.map { try Self.triple($0, "--chunks", Int.init) }
            ?? (segmenter.tiling != nil ? [1, min(size[1], 512), min(size[2], 512)] : [min(size[0], 64), min(size[1], 64), min(size[2], 64)])
        let writer = try ChunkedStores.create(path: out, geometry: geometry, chunkSize: chunks)
        switch ChunkedStores.location(out) {
        case let .folder(folder, _, _): return (writer, folder + "/.pixelwise-blocks")
        case .hdf5: return (writer, nil)  // one file, written whole by finish(): no resume, one process
        }
    }

    func runBlockwise(_ segmenter: Segmenter, group: MPIProcessGroup?) throws {
        let rank = group?.rank ?? 0
        // The reader every command uses (stores, HDF5 by its layout rules, stacks, NIfTI), with --spacing for every kind.
        let input = try VolumeSources.open(inputs[0], spacing: try spacing.map { try Self.triple($0, "--spacing", Double.init) })
        try segmenter.checkBlockwise(input.geometry, name: input.name)
        let workBlock = try workBlock.map { try Self.triple($0, "--work-block", Int.init) }
        let size = input.geometry.size
        // 2-D networks: whole slices when they are at most 8192² (no tile is computed twice), else 4096² blocks.
        let preferred = segmenter.tiling != nil ? [1] + (size[1] * size[2] <= 8192 * 8192 ? [size[1], size[2]] : [4096, 4096]) : [64, 512, 512]

        // Process 0 creates the output and the records (restarting them if asked) before the others open them.
        func open(restart: Bool) throws -> BlockwiseSegmentation {
            let (output, recordsFolder) = try openOutput(segmenter, input: input)
            if recordsFolder == nil, group.map({ $0.size > 1 }) ?? false || blockRange != nil {
                throw PixelwiseError.file(path: out, problem: "an HDF5 dataset is written by one process; use a zarr or N5 store (FILE.zarr/PATH) for mpirun or --block-range")
            }
            let grid = try BlockGrid(volumeSize: size, chunkSize: output.chunkSize, requested: workBlock, preferred: preferred)
            let records = try recordsFolder.map {
                try BlockRecords(folder: $0, run: BlockwiseSegmentation.runDescription(input: input, output: output, segmenter: segmenter, grid: grid),
                                 restart: restart, output: out)
            }
            return try BlockwiseSegmentation(input: input, output: output, segmenter: segmenter, blockSize: workBlock, preferredBlock: preferred, records: records)
        }
        var blockwise: BlockwiseSegmentation!
        if rank == 0 {
            blockwise = try open(restart: restart)
            // Measured here (as a lone process using every core would), kept in the records for the others.
            try blockwise.agreeOnAlgorithms(measuringThreads: ProcessInfo.processInfo.activeProcessorCount)
        }
        if let group {
            // A barrier (process 0's failure aborts every process: see segmentBlockwise).
            _ = try group.sum([0])
            if rank != 0 {
                blockwise = try open(restart: false)
                try blockwise.agreeOnAlgorithms(measuringThreads: ProcessInfo.processInfo.activeProcessorCount)
            }
        }
        let schedule: BlockScheduling
        if let group {
            schedule = try MPIBlockScheduler(group: group, blocks: blockwise.grid.count)
        } else {
            let (share, shares) = try blockRange.map(Self.blockRange) ?? (0, 1)
            schedule = BlockShare(grid: blockwise.grid, share: share, of: shares)
        }
        let grid = blockwise.grid
        let share = blockRange == nil ? nil : (schedule as? BlockShare)?.blocks
        if rank == 0 {
            func x(_ v: [Int]) -> String { v.map(String.init).joined(separator: "×") }
            var line = "\(input.name) → \(out): \(x(size)) voxels, \(grid.count) block(s) of \(x(grid.blockSize))"
            if let chunks = grid.chunkSize { line += " (chunks \(x(chunks)))" }
            if let group { line += ", \(group.size) processes" }
            if let share { line += ", this share: blocks \(share.lowerBound)..<\(share.upperBound)" }
            let done = blockwise.records?.done().count ?? 0
            if done > 0 { line += ", \(done) already done" }
            log(line)
        }
        var reported = Date.distantPast
        let prefix = group.map { $0.size > 1 ? "process \($0.rank): " : "" } ?? (blockRange != nil ? "share \(blockRange!): " : "")
        let summary = try blockwise.run(schedule: schedule) { progress in
            if Date().timeIntervalSince(reported) >= 1 || progress.totals.blocks == (share?.count ?? grid.count) {
                reported = Date()
                log(prefix + progress.description)
            }
        }
        try schedule.barrier()
        if rank == 0 { try blockwise.output.finish() }
        log(prefix + "computed \(summary.computed.count) block(s)" + (summary.skipped.isEmpty ? "" : ", skipped \(summary.skipped.count) already done"))
    }
}
