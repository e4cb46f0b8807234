import Foundation

/// Who does which block, when several processes share one blockwise run. The workflow knows no
/// MPI: `pixelwise segment` under `mpirun` passes `MPIBlockScheduler` (PixelwiseDistributed),
/// which hands out block numbers from one shared counter, so a slow process simply takes fewer
/// blocks; `--block-range K/N` (a Slurm job array) passes a `BlockShare` of fixed blocks.
public protocol BlockScheduling: AnyObject {
    /// This process's number among `processes` (0 for a lone process).
    var rank: Int { get }
    /// How many processes share the run.
    var processes: Int { get }
    /// The next block this process should do, or nil when none is left. Every block of the run
    /// is handed out exactly once over all processes.
    func nextBlock() throws -> Int?
    /// Records that this process finished a block of `voxels` voxels (`computed`: false when it
    /// was already complete and skipped), and returns the run's totals over all processes so far.
    func finished(voxels: Int, computed: Bool) throws -> BlockTotals
    /// Waits until every process reaches this point (a lone process returns at once).
    func barrier() throws
}

/// A run's totals over all of its processes.
public struct BlockTotals: Sendable, Equatable {
    /// Blocks finished (computed or found complete).
    public var blocks: Int
    /// Voxels computed (blocks found complete not counted).
    public var voxels: Int
    public init(blocks: Int, voxels: Int) {
        self.blocks = blocks
        self.voxels = voxels
    }
}

/// A fixed set of blocks for one process: all of them (a lone `pixelwise segment`), or share K
/// of N (`--block-range K/N`, `BlockGrid.share`). Totals are this process's own.
public final class BlockShare: BlockScheduling {
    public let blocks: Range<Int>
    public let rank: Int
    public let processes: Int
    private var next: Int
    private var totals = BlockTotals(blocks: 0, voxels: 0)

    /// Share `share` of `shares` of `grid`'s blocks (0 of 1: every block).
    public init(grid: BlockGrid, share: Int = 0, of shares: Int = 1) {
        blocks = grid.share(share, of: shares)
        rank = share
        processes = shares
        next = blocks.lowerBound
    }

    public func nextBlock() -> Int? {
        guard next < blocks.upperBound else { return nil }
        defer { next += 1 }
        return next
    }

    public func finished(voxels: Int, computed: Bool) -> BlockTotals {
        totals.blocks += 1
        if computed { totals.voxels += voxels }
        return totals
    }

    public func barrier() {}
}
