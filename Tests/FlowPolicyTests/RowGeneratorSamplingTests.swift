import FlowNN
import FlowPolicy
import Testing

/// Sampling with one generator per row (`ChunkSampler.sample(…, rowGenerators:)`): a row's sample is
/// the same bits in whatever batch it is drawn, which lets a rollout sample its environments in
/// separate parts (docs/architecture.md, "The rollout pipeline").
@Suite struct RowGeneratorSamplingTests {
    /// Actions, chain record, log-densities and σ of `rows` sampled together, as bit patterns per row.
    static func sampleRows(_ rows: [Int], mode: SamplingMode, policy: FlowPolicy, observations: Tensor) throws -> [[UInt32]] {
        let base = RandomGenerator(seed: 17)
        var generators = rows.map { base.split(key: UInt64($0)) }
        let s = try ChunkSampler(mode: mode).sample(policy, observations: observations.gatherRows(rows), rowGenerators: &generators)
        var tensors = [s.actions, s.normalizedChunk, s.meanVelocityFeatures]
        if let record = s.record {
            tensors.append(record.initialNoise)
            for t in record.transitions { tensors += [t.before, t.after, Tensor(t.step.map(Float.init), shape: [rows.count, 1])] }
        }
        tensors += [s.logDensity, s.std].compactMap { $0 }
        return rows.indices.map { r in
            tensors.flatMap { t in
                let width = t.scalars.count / rows.count
                return t.scalars[(r * width)..<((r + 1) * width)].map(\.bitPattern)
            }
        }
    }

    @Test(arguments: SamplerTests.modes)
    func aRowIsTheSameBitsAloneOrInAnyBatch(mode: SamplingMode) throws {
        let policy = SamplerTests.makePolicy()
        let obs = SamplerTests.observations(7)
        let together = try Self.sampleRows(Array(0..<7), mode: mode, policy: policy, observations: obs)
        let alone = try (0..<7).flatMap { try Self.sampleRows([$0], mode: mode, policy: policy, observations: obs) }
        let split = try Self.sampleRows([0, 1, 2], mode: mode, policy: policy, observations: obs)
            + Self.sampleRows([3, 4, 5, 6], mode: mode, policy: policy, observations: obs)
        #expect(together == alone)
        #expect(together == split)
        #expect(Set(together).count == 7, "every row drew its own noise")
    }
}
