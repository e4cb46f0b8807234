import Testing
@testable import PixelwiseDistributed

/// What can be checked without `mpirun`: how a process learns from Open MPI's environment whether
/// it is one of several. (Joining a run and the gradient exchange need launched processes; the
/// CLI's DataParallelTrainingTests run them under `mpirun -np 2`.)
@Suite struct MPIProcessGroupTests {
    @Test func worldSizeComesFromOpenMPIsEnvironment() {
        #expect(MPIProcessGroup.worldSize([:]) == 1, "not started by mpirun")
        #expect(MPIProcessGroup.worldSize(["OMPI_COMM_WORLD_SIZE": "1"]) == 1)
        #expect(MPIProcessGroup.worldSize(["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"]) == 4)
        #expect(MPIProcessGroup.worldSize(["OMPI_COMM_WORLD_SIZE": "four"]) == 1, "unreadable: a single process")
        #expect(MPIProcessGroup.worldSize(["PMI_SIZE": "4"]) == 1, "only Open MPI's launcher is recognised")
    }

    /// `swift test` is not started by mpirun, so MPI is never initialised here.
    @Test func aTestProcessIsNotLaunchedByMPI() {
        #expect(!MPIProcessGroup.isLaunchedByMPI)
    }
}
