#if canImport(CMPI)
import CMPI
import Foundation

/// MPI's world communicator (Open MPI through the CMPI module): one rank per process of `mpirun -np N`.
///
/// MPI is initialised on first use with MPI_THREAD_FUNNELED (only the thread that initialised it
/// calls MPI; FlowTune's compute threads never do) and finalised when the process exits normally.
/// Open MPI's default error handler ends the whole job on a communication error, and `mpirun` ends
/// it when any rank dies, so a killed rank never leaves the others waiting.
// Sendable: its state is set once at initialisation; MPI calls come from one thread (FUNNELED).
public final class MPICommunicator: Communicator, @unchecked Sendable {
    public static let world = MPICommunicator()

    public let rank: Int
    public let size: Int
    private let comm: MPI_Comm

    private init() {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            var provided: Int32 = 0
            MPI_Init_thread(nil, nil, flowtune_mpi_thread_funneled(), &provided)
            atexit {
                var finalized: Int32 = 0
                MPI_Finalized(&finalized)
                if finalized == 0 { MPI_Finalize() }
            }
        }
        comm = flowtune_mpi_comm_world()
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(comm, &r)
        MPI_Comm_size(comm, &s)
        (rank, size) = (Int(r), Int(s))
    }

    public func allGather(_ values: [Double]) -> [Double] { allGather(values, as: flowtune_mpi_double()) }

    public func allGather(_ values: [Float]) -> [Float] { allGather(values, as: flowtune_mpi_float()) }

    /// MPI_Allgather of `values` (the same count on every rank), whose elements are MPI's `type`.
    private func allGather<T: Numeric>(_ values: [T], as type: MPI_Datatype) -> [T] {
        var out = [T](repeating: 0, count: values.count * size)
        values.withUnsafeBufferPointer { send in
            out.withUnsafeMutableBufferPointer { receive in
                _ = MPI_Allgather(send.baseAddress, Int32(values.count), type, receive.baseAddress, Int32(values.count), type, comm)
            }
        }
        return out
    }

    public func abort(code: Int32) -> Never {
        MPI_Abort(comm, code)
        exit(code)
    }
}
#endif
