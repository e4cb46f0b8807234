// Open MPI's C API, plus small inline functions for the handles Open MPI defines as macros over
// global objects (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...), which Swift cannot import.
#include <mpi.h>

static inline MPI_Comm pw_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype pw_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Op pw_mpi_sum(void) { return MPI_SUM; }
static inline void *pw_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int pw_mpi_success(void) { return MPI_SUCCESS; }
// Blockwise segmentation's shared block counter (one-sided atomics on a window at rank 0).
static inline MPI_Datatype pw_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op pw_mpi_no_op(void) { return MPI_NO_OP; }
static inline MPI_Info pw_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline int pw_mpi_lock_shared(void) { return MPI_LOCK_SHARED; }
