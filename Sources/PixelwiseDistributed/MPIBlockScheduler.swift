import CMPI
import PixelwiseCore
import PixelwiseWorkflow

/// Dynamic assignment of blockwise segmentation's blocks over the processes `mpirun -np N
/// pixelwise segment …` starts: one counter of handed-out blocks and two running totals (blocks
/// finished, voxels computed) live in an MPI window on process 0, and every process takes its
/// next block with `MPI_Fetch_and_op` (an atomic fetch-and-add, passive target), so a process
/// asks for a block only when it finished the last one and a slow process simply takes fewer.
/// On one machine Open MPI does the atomics in shared memory (osc/sm); between machines its
/// osc/ucx or osc/rdma components do them.
public final class MPIBlockScheduler: BlockScheduling {
    public let rank: Int
    public let processes: Int
    /// The blocks handed out: 0..<count.
    public let count: Int
    private var window: MPI_Win?
    private var base: UnsafeMutableRawPointer?

    /// Collective: every process of `group` calls it with the same block count.
    public init(group: MPIProcessGroup, blocks count: Int) throws {
        rank = group.rank
        processes = group.size
        self.count = count
        var pointer: UnsafeMutableRawPointer?
        var window: MPI_Win?
        let bytes = rank == 0 ? 3 * MemoryLayout<Int64>.size : 0
        let status = withUnsafeMutablePointer(to: &pointer) { p in
            MPI_Win_allocate(MPI_Aint(bytes), Int32(MemoryLayout<Int64>.size), pw_mpi_info_null(), pw_mpi_comm_world(), UnsafeMutableRawPointer(p), &window)
        }
        guard status == pw_mpi_success(), let window else { throw PixelwiseError.invalidArgument("MPI: MPI_Win_allocate failed with code \(status)") }
        if rank == 0, let pointer { pointer.bindMemory(to: Int64.self, capacity: 3).initialize(repeating: 0, count: 3) }
        self.window = window
        base = pointer
        try barrier()  // nobody takes a block before process 0 zeroed the counters
    }

    deinit { free() }

    /// Frees the window (collective); `deinit` does it too.
    public func free() {
        guard window != nil else { return }
        MPI_Win_free(&window)
        window = nil
    }

    /// Atomically adds `value` to counter `index` on process 0; returns its value before.
    private func fetchAndAdd(_ index: Int, _ value: Int64) throws -> Int64 {
        guard let window else { throw PixelwiseError.invalidArgument("MPI: the block counter window was freed") }
        var operand = value, result: Int64 = 0
        var status = MPI_Win_lock(pw_mpi_lock_shared(), 0, 0, window)
        if status == pw_mpi_success() {
            status = MPI_Fetch_and_op(&operand, &result, pw_mpi_int64(), 0, MPI_Aint(index), value == 0 ? pw_mpi_no_op() : pw_mpi_sum(), window)
            let unlock = MPI_Win_unlock(0, window)
            if status == pw_mpi_success() { status = unlock }
        }
        guard status == pw_mpi_success() else { throw PixelwiseError.invalidArgument("MPI: MPI_Fetch_and_op on the block counter failed with code \(status)") }
        return result
    }

    public func nextBlock() throws -> Int? {
        let next = Int(try fetchAndAdd(0, 1))
        return next < count ? next : nil
    }

    public func finished(voxels: Int, computed: Bool) throws -> BlockTotals {
        let blocks = Int(try fetchAndAdd(1, 1)) + 1
        let done = Int(try fetchAndAdd(2, computed ? Int64(voxels) : 0)) + (computed ? voxels : 0)
        return BlockTotals(blocks: blocks, voxels: done)
    }

    public func barrier() throws {
        let status = MPI_Barrier(pw_mpi_comm_world())
        guard status == pw_mpi_success() else { throw PixelwiseError.invalidArgument("MPI: MPI_Barrier failed with code \(status)") }
    }
}
