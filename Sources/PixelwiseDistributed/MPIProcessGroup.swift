import CMPI
import Foundation
import PixelwiseCore
import PixelwiseNN

/// Data-parallel training over MPI: the processes `mpirun -np N pixelwise train ...` starts.
///
/// Open MPI's launcher tells a process it is one of several through its environment
/// (`OMPI_COMM_WORLD_SIZE`, `OMPI_COMM_WORLD_LOCAL_SIZE`), so a `pixelwise` started without
/// `mpirun` never initialises MPI at all: no daemon, no start-up cost, nothing to configure.
/// Gradients travel with one `MPI_Allreduce` per iteration (shared memory between processes on
/// one machine, the network between machines).
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    /// How many of the run's processes share this machine (and its cores).
    public let localSize: Int

    /// True when `mpirun` started this process as one of several.
    public static var isLaunchedByMPI: Bool { worldSize(ProcessInfo.processInfo.environment) > 1 }

    static func worldSize(_ environment: [String: String]) -> Int {
        environment["OMPI_COMM_WORLD_SIZE"].flatMap { Int($0) } ?? 1
    }

    /// Joins the run (MPI_Init). Call once per process, from the thread that makes every later call.
    public init() throws {
        var initialised: Int32 = 0
        MPI_Initialized(&initialised)
        if initialised == 0 {
            guard MPI_Init(nil, nil) == pw_mpi_success() else {
                throw PixelwiseError.invalidArgument("MPI: MPI_Init failed (started by mpirun?)")
            }
        }
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(pw_mpi_comm_world(), &r)
        MPI_Comm_size(pw_mpi_comm_world(), &s)
        rank = Int(r)
        size = Int(s)
        localSize = max(1, ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? 1)
    }

    public func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = values.baseAddress else { return }
        // MPI counts are 32-bit: exchange very large buffers in pieces.
        let piece = 1 << 30
        var start = 0
        while start < values.count {
            let n = min(piece, values.count - start)
            let status = MPI_Allreduce(pw_mpi_in_place(), base + start, Int32(n), pw_mpi_float(), pw_mpi_sum(), pw_mpi_comm_world())
            guard status == pw_mpi_success() else {
                throw PixelwiseError.training("MPI: MPI_Allreduce of \(n) values failed with code \(status)")
            }
            start += n
        }
    }

    /// Leaves the run cleanly (MPI_Finalize); every process calls it once, at the end.
    public func finish() {
        var finalised: Int32 = 0
        MPI_Finalized(&finalised)
        if finalised == 0 { MPI_Finalize() }
    }

    /// Stops every process of the run: for an error in one of them, which would otherwise leave
    /// the others waiting in their next exchange.
    public func abort(code: Int32) -> Never {
        MPI_Abort(pw_mpi_comm_world(), code)
        exit(code)
    }
}
