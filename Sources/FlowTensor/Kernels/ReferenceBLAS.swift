#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A system BLAS loaded at run time, used as the reference that `flowtune bench kernels` compares
/// FlowTune's own SGEMM with (and selectable as the GEMM backend with `FLOWTUNE_GEMM=openblas`).
///
/// Debian's OpenBLAS 0.3.21 does not recognise recent AMD/Intel cores and falls back to a generic
/// kernel (≈ 30 GFLOP/s) unless `OPENBLAS_CORETYPE` names a core it knows *before the library
/// initialises* (docs/architecture.md, "Speed rules"). Loading with `dlopen` after setting the variable is what makes
/// that possible; linking it at build time would initialise it before `main`.
public final class ReferenceBLAS: @unchecked Sendable {
    public typealias CblasSgemm = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void
    typealias GetCoreName = @convention(c) () -> UnsafePointer<CChar>?

    /// Path of the loaded library.
    public let path: String
    /// What the library reports about its kernel (OpenBLAS: the core name), or the empty string.
    public let coreName: String
    let sgemm: CblasSgemm
    let setThreads: SetThreads?

    /// Candidate libraries, most specific first.
    public static let candidates = [
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "libopenblas.so.0", "libopenblas.so",
        "/usr/lib/x86_64-linux-gnu/blis-pthread/libblis.so.4", "libblis.so.4",
        "libblas.so.3",
    ]

    /// Loads the first available candidate, or returns nil when none is installed.
    /// - Parameter coreType: value for `OPENBLAS_CORETYPE` unless the user already set one.
    public static func load(coreType: String? = hostOpenBLASCoreType()) -> ReferenceBLAS? {
        if let coreType, getenv("OPENBLAS_CORETYPE") == nil {
            setenv("OPENBLAS_CORETYPE", coreType, 0)
        }
        for path in candidates {
            guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else { continue }
            guard let sym = dlsym(handle, "cblas_sgemm") else { continue }
            let setThreads = dlsym(handle, "openblas_set_num_threads").map {
                unsafeBitCast($0, to: SetThreads.self)
            }
            var core = ""
            if let fn = dlsym(handle, "openblas_get_corename"),
               let cstr = unsafeBitCast(fn, to: GetCoreName.self)() {
                core = String(cString: cstr)
            }
            return ReferenceBLAS(path: path, coreName: core,
                                 sgemm: unsafeBitCast(sym, to: CblasSgemm.self), setThreads: setThreads)
        }
        return nil
    }

    init(path: String, coreName: String, sgemm: @escaping CblasSgemm, setThreads: SetThreads?) {
        self.path = path
        self.coreName = coreName
        self.sgemm = sgemm
        self.setThreads = setThreads
    }

    /// The OpenBLAS core type matching this CPU's vector extensions (AVX-512 → SkylakeX, AVX2 → Haswell).
    public static func hostOpenBLASCoreType() -> String? {
        #if arch(x86_64)
        if CPUFeatures.hasAVX512F { return "SkylakeX" }
        if CPUFeatures.hasAVX2 { return "Haswell" }
        #endif
        return nil
    }

    /// Sets the library's thread count (OpenBLAS only; other libraries ignore it).
    public func setThreadCount(_ n: Int) { setThreads?(Int32(n)) }

    /// Row-major `C = alpha·op(A)·op(B) + beta·C` through `cblas_sgemm`.
    public func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let rowMajor: Int32 = 101, noTrans: Int32 = 111, trans: Int32 = 112
        sgemm(rowMajor, transposeA ? trans : noTrans, transposeB ? trans : noTrans,
              Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// CPU vector extensions, read from `/proc/cpuinfo` once.
public enum CPUFeatures {
    static let flags: Set<Substring> = {
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            let text = String(cString: line!)
            if text.hasPrefix("flags") {
                return Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }))
            }
        }
        return []
    }()
    public static var hasAVX512F: Bool { flags.contains("avx512f") }
    public static var hasAVX2: Bool { flags.contains("avx2") }
}
