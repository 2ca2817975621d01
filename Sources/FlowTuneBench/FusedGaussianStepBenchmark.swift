import FlowTuneCLI
import FlowPolicy
import FlowTensor

/// The rollout's fused stochastic step (`GaussianLogDensity.sample`: `x = μ + σ·z` and its
/// log-density in one pass) against the composed ops it replaced, on a `[rows, H·D]` chunk with
/// one σ per row and the one-step schedule's mix of stochastic and deterministic rows.
public struct FusedGaussianStepBenchmark {
    public struct Row: Sendable {
        public let rows, width: Int
        public let fusedMicroseconds, unfusedMicroseconds: Double
    }

    public init() {}

    public func measure(rows: Int, width: Int, repetitions: Int = 5) -> Row {
        var rng = RandomGenerator(seed: 4)
        let mean = Tensor.randomNormal([rows, width], rng: &rng), z = Tensor.randomNormal([rows, width], rng: &rng)
        let flags = (0..<rows).map { $0 % 4 == 0 }
        let maskTensor = Tensor(flags.map { $0 ? 1 : 0 }, shape: [rows, 1])
        let std = Tensor(flags.map { $0 ? 0.3 : 0 }, shape: [rows, 1])
        func unfused() {
            let x = mean + std * z
            _ = GaussianLogDensity.elementwise(x, mean: mean, std: Tensor.select(maskTensor, std, Tensor(1))) * maskTensor
        }
        let iterations = max(1, 5_000_000 / (rows * width))
        var best = (fused: Double.infinity, unfused: Double.infinity)
        for _ in 0..<repetitions {
            best.fused = min(best.fused, KernelBenchmark.time(iterations) {
                _ = GaussianLogDensity.sample(mean: mean, std: std, noise: z, rowMask: flags)
            })
            best.unfused = min(best.unfused, KernelBenchmark.time(iterations) { unfused() })
        }
        return Row(rows: rows, width: width, fusedMicroseconds: best.fused * 1e6, unfusedMicroseconds: best.unfused * 1e6)
    }
}
