import FlowTuneCLI
import FlowTensor

/// Fused `act(x·(1 + γ) + β)`, `[γ, β] = p + q` (`filmActivation`) against the chain of separate
/// ops it replaced in the velocity network, forward alone (sampling) and forward + backward
/// (training), with `q` one shared row (a sampling step) or one row per row (CFM training).
public struct FusedFiLMBenchmark {
    public struct Row: Sendable {
        public let rows, features: Int
        public let sharedTime, backward: Bool
        public let fusedMicroseconds, unfusedMicroseconds: Double
    }

    public init() {}

    public func measure(rows: Int, features w: Int, sharedTime: Bool, backward: Bool,
                        activation: FlowTensor.Activation = .silu, repetitions: Int = 5) -> Row {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randomNormal([rows, w], rng: &rng)
        let p = Tensor.randomNormal([rows, 2 * w], std: 0.5, rng: &rng)
        let q = Tensor.randomNormal([sharedTime ? 1 : rows, 2 * w], std: 0.5, rng: &rng)
        let g = Tensor.randomNormal([rows, w], rng: &rng)
        func fused(_ t: [Tensor]) -> Tensor { filmActivation(t[0], modulation: t[1], plus: t[2], activation: activation) }
        func unfused(_ t: [Tensor]) -> Tensor {
            let gammaBeta = (t[1] + t[2]).split(sizes: [w, w], axis: -1)
            return activation(t[0] * (1 + gammaBeta[0]) + gammaBeta[1])
        }
        func run(_ f: ([Tensor]) -> Tensor) {
            if backward { _ = vjp(at: [x, p, q], cotangent: g, f) } else { _ = f([x, p, q]) }
        }
        // About 20 ms per repetition at ~1 ns per element and pass.
        let iterations = max(1, 20_000_000 / (rows * w * (backward ? 3 : 1)))
        var best = (fused: Double.infinity, unfused: Double.infinity)
        for _ in 0..<repetitions {
            best.fused = min(best.fused, KernelBenchmark.time(iterations) { run(fused) })
            best.unfused = min(best.unfused, KernelBenchmark.time(iterations) { run(unfused) })
        }
        return Row(rows: rows, features: w, sharedTime: sharedTime, backward: backward,
                   fusedMicroseconds: best.fused * 1e6, unfusedMicroseconds: best.unfused * 1e6)
    }
}
