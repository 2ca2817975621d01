import FlowTuneCLI
import Dispatch
import FlowTensor

/// GEMM throughput of FlowTune's kernel next to a reference BLAS measured in the same run.
///
/// Measurements alternate between the two implementations (ours, reference, ours, …) and report
/// the best of several timed repetitions, so that load from other processes on a shared machine hits
/// both alike; the ratio is what to read, not the absolute numbers.
public struct KernelBenchmark {
    public struct Row: Sendable {
        public let m, n, k, threads: Int
        public let ours: Double
        public let reference: Double?
        public var ratio: Double? { reference.map { ours / $0 } }
    }

    public var repetitions = 5
    /// Minimum seconds per timed repetition (small shapes loop until they reach it).
    public var minSeconds = 0.05
    public let reference: ReferenceBLAS?

    public init(reference: ReferenceBLAS? = ReferenceBLAS.load()) {
        self.reference = reference
    }

    public static let squareSizes = [64, 128, 256, 512, 1024]
    public static let policyShapes: [(m: Int, kn: Int)] = [64, 256, 1024, 4096].flatMap { m in
        [128, 256, 512].map { (m, $0) }
    }

    /// GFLOP/s of `C = A·Bᵀ` (the layout of a linear layer) at `m × n × k` on `threads` threads.
    public func measure(m: Int, n: Int, k: Int, threads: Int) -> Row {
        var rng = RandomGenerator(seed: 1)
        let a = Tensor.randomNormal([m, k], rng: &rng), b = Tensor.randomNormal([n, k], rng: &rng)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { c.deallocate() }
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        reference?.setThreadCount(threads)
        var bestOurs = Double.infinity, bestRef = Double.infinity
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let ours = {
                    SGEMM.multiply(transposeA: false, transposeB: true, m: m, n: n, k: k, a: pa.baseAddress!, lda: k,
                                   b: pb.baseAddress!, ldb: k, c: c, ldc: n, threads: threads)
                }
                let ref = reference.map { blas in
                    {
                        blas.multiply(transposeA: false, transposeB: true, m: m, n: n, k: k, a: pa.baseAddress!, lda: k,
                                      b: pb.baseAddress!, ldb: k, c: c, ldc: n)
                    }
                }
                let iterations = Self.iterations(for: flops, minSeconds: minSeconds)
                ours(); ref?()  // warm caches and page in buffers
                for _ in 0..<repetitions {
                    bestOurs = min(bestOurs, Self.time(iterations, ours))
                    if let ref { bestRef = min(bestRef, Self.time(iterations, ref)) }
                }
            }
        }
        return Row(m: m, n: n, k: k, threads: threads, ours: flops / bestOurs / 1e9,
                   reference: reference == nil ? nil : flops / bestRef / 1e9)
    }

    /// Enough iterations for one repetition to last `minSeconds` at ~100 GFLOP/s.
    static func iterations(for flops: Double, minSeconds: Double) -> Int {
        max(1, Int(minSeconds * 100e9 / flops))
    }

    /// Seconds per call of `body`, averaged over `iterations` calls.
    static func time(_ iterations: Int, _ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { body() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(iterations)
    }
}

/// Fused `activation(x·Wᵀ + b)` against the same chain as three separate ops.
public struct FusedLinearBenchmark {
    public struct Row: Sendable {
        public let rows, features: Int
        public let activation: FlowTensor.Activation
        public let fusedMicroseconds, unfusedMicroseconds: Double
    }

    public init() {}

    public func measure(rows: Int, features: Int, activation: FlowTensor.Activation, repetitions: Int = 5) -> Row {
        var rng = RandomGenerator(seed: 2)
        let x = Tensor.randomNormal([rows, features], rng: &rng)
        let w = Tensor.randomNormal([features, features], rng: &rng), b = Tensor.randomNormal([features], rng: &rng)
        let iterations = KernelBenchmark.iterations(for: 2.0 * Double(rows * features * features), minSeconds: 0.05)
        var fused = Double.infinity, unfused = Double.infinity
        for _ in 0..<repetitions {
            fused = min(fused, KernelBenchmark.time(iterations) { _ = linear(x, weight: w, bias: b, activation: activation) })
            unfused = min(unfused, KernelBenchmark.time(iterations) { _ = activation(matmul(x, w, transposeB: true) + b) })
        }
        return Row(rows: rows, features: features, activation: activation,
                   fusedMicroseconds: fused * 1e6, unfusedMicroseconds: unfused * 1e6)
    }
}
