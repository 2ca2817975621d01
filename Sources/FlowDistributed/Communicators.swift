import Foundation

/// How a process finds its job: launched by `mpirun` (or Slurm's `srun` with Open MPI) it joins
/// MPI's world; otherwise it is a job of one process.
public enum Communicators {
    /// Whether this build can run under MPI (Open MPI's development files were found at build time;
    /// see Package.swift).
    public static var mpiAvailable: Bool {
        #if canImport(CMPI)
        return true
        #else
        return false
        #endif
    }

    /// Whether a launcher started this process as one rank of several: Open MPI's `mpirun` sets
    /// OMPI_COMM_WORLD_SIZE, PMIx launchers PMIX_RANK, Slurm SLURM_NTASKS.
    public static var launchedAsRank: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil || env["PMI_SIZE"] != nil
    }

    /// The number of ranks the launcher started, read from its environment before MPI is initialised
    /// (1 outside a launcher, or when the launcher does not say): what config checks that count the
    /// whole job's environments need.
    public static var launcherRankCount: Int {
        let env = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"].lazy.compactMap { env[$0].flatMap(Int.init) }.first
            .map { max($0, 1) } ?? 1
    }

    /// The number of ranks the launcher started on this machine (Open MPI's
    /// OMPI_COMM_WORLD_LOCAL_SIZE, MPICH's MPI_LOCALNRANKS; 1 outside a launcher): they share its cores.
    public static var localRankCount: Int {
        let env = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"].lazy.compactMap { env[$0].flatMap(Int.init) }.first
            .map { max($0, 1) } ?? 1
    }

    /// MPI's world when launched as a rank (initialising MPI once), else `SingleProcess`.
    /// Throws when a launcher started the process but this build has no MPI.
    public static func world() throws -> any Communicator {
        guard launchedAsRank else { return SingleProcess() }
        #if canImport(CMPI)
        return MPICommunicator.world
        #else
        throw DistributedError.mpiNotBuilt
        #endif
    }
}

public enum DistributedError: Error, CustomStringConvertible, Equatable {
    case mpiNotBuilt

    public var description: String {
        switch self {
        case .mpiNotBuilt:
            return "this flowtune was built without MPI, but a launcher (mpirun/srun) started it as one of several ranks: "
                + "install Open MPI's development files (Debian: apt-get install libopenmpi-dev openmpi-bin), "
                + "then rebuild (swift build -c release; after installing, run `swift package reset` first if the build is cached)"
        }
    }
}
