// Open MPI's C API for Swift (the FlowDistributed module). MPI's predefined handles (the world
// communicator, the datatypes) are macros over the addresses of library globals, which Swift cannot
// import, so they are wrapped in functions here.
#include <mpi.h>

static inline MPI_Comm flowtune_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype flowtune_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype flowtune_mpi_double(void) { return MPI_DOUBLE; }
static inline int flowtune_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
