import FlowNN
import FlowPolicy
import Testing

/// The rollout's fused draw `x = μ + σ·z` with its log-density (`GaussianLogDensity.sample`) gives
/// the same numbers, bit for bit, as the composed ops the update recomputes them with — otherwise
/// first-minibatch ratios would not be exactly 1 (docs/algorithms.md §7).
@Suite struct GaussianSampleTests {
    static func composed(mean: Tensor, std: Tensor, noise: Tensor, rowMask: [Bool]?) -> (Tensor, Tensor) {
        let x = mean + std * noise
        guard let rowMask else { return (x, GaussianLogDensity.elementwise(x, mean: mean, std: std)) }
        // DenoisingStep.logDensity's mixed-row form: σ = 1 on deterministic rows, then zeroed.
        let mask = Tensor(rowMask.map { $0 ? 1 : 0 }, shape: [rowMask.count, 1])
        return (x, GaussianLogDensity.elementwise(x, mean: mean, std: Tensor.select(mask, std, Tensor(1))) * mask)
    }

    @Test(arguments: [1, 7, 33])
    func fusedDrawAndLogDensityEqualTheComposedOpsBitForBit(rows: Int) {
        var rng = RandomGenerator(seed: UInt64(rows))
        let d = 20
        let mean = Tensor.randomNormal([rows, d], std: 2, rng: &rng)
        let noise = Tensor.randomNormal([rows, d], rng: &rng)
        let rowStd = Tensor.randomUniform([rows, 1], low: 0.05, high: 1.5, rng: &rng)
        let fullStd = Tensor.randomUniform([rows, d], low: 0.05, high: 1.5, rng: &rng)
        // Mixed rows as in the one-step schedule: ODE rows carry σ = 0.
        let mixed = (0..<rows).map { $0 % 3 == 1 }
        let mixedStd = Tensor.select(Tensor(mixed.map { $0 ? 1 : 0 }, shape: [rows, 1]), rowStd, Tensor(0))
        let cases: [(String, Tensor, [Bool]?)] = [
            ("per-row σ", rowStd, nil), ("per-element σ", fullStd, nil),
            ("mixed rows, per-row σ", mixedStd, mixed), ("mixed rows, per-element σ", fullStd, mixed),
        ]
        for (name, std, mask) in cases {
            let fused = GaussianLogDensity.sample(mean: mean, std: std, noise: noise, rowMask: mask)
            let (x, logp) = Self.composed(mean: mean, std: std, noise: noise, rowMask: mask)
            #expect(fused.sample.shape == x.shape && fused.logDensity.shape == logp.shape, "\(name): shapes")
            #expect(fused.sample.scalars == x.scalars, "\(name): the draw differs from μ + σ·z")
            #expect(fused.logDensity.scalars == logp.scalars, "\(name): the log-density differs from the composed ops")
        }
    }
}
