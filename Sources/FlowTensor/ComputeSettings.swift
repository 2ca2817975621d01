#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Process-wide compute settings. Only the thread count lives here: it changes speed, never results
/// (every kernel splits work so that each output element is computed the same way on any thread count).
public enum ComputeSettings {
    /// Threads the kernels may use (default: the number of online cores, at most 2 are used by GEMM).
    /// Set `FLOWTUNE_THREADS` in the environment, or assign before heavy work starts.
    nonisolated(unsafe) public static var threads: Int = {
        if let s = getenv("FLOWTUNE_THREADS"), let n = Int(String(cString: s)), n >= 1 { return n }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }()
}
