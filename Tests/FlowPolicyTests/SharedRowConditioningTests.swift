import FlowNN
import FlowPolicy
import Testing

/// Conditioning read through row indices instead of repeated copies (`PreparedObservation.rows`,
/// `tiled`, `FlowPolicy.distinctTimeFeatures`): the velocity is bit-identical to evaluating on
/// materialised repeated rows, and parameter gradients agree within float32 summation-order error.
@Suite struct SharedRowConditioningTests {
    /// A policy whose FiLM projections are non-zero (they start at zero, which would hide a wrong row).
    static func perturbedPolicy(_ conditioning: FlowPolicyConfig.Conditioning) -> FlowPolicy {
        let policy = SamplerTests.makePolicy(conditioning: conditioning)
        var rng = RandomGenerator(seed: 77)
        for (_, p) in policy.namedParameters() {
            p.value = p.value + Tensor.randomNormal(p.value.shape, std: 0.1, rng: &rng)
        }
        return policy
    }

    /// 4 observations read by 9 rows (out of order, repeated) at 3 distinct flow times.
    static let rows = [2, 0, 0, 3, 1, 2, 2, 0, 3]
    static let times: [Float] = [0.2, 0.6, 0.2, 0.0, 0.6, 0.6, 0.0, 0.2, 0.2]

    static func velocities(_ policy: FlowPolicy, indexed: Bool) throws -> Tensor {
        let features = try policy.encode(observations: SamplerTests.observations(4))
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randomNormal([rows.count, policy.config.chunkWidth], rng: &rng)
        if indexed {
            let (time, timeRows) = policy.distinctTimeFeatures(times)
            #expect(time.shape[0] == 3 && timeRows != nil)
            return policy.velocity(x, observation: policy.prepare(features: features).rows(rows), time: time,
                                   timeRows: timeRows).velocity
        }
        return policy.velocity(x, observation: policy.prepare(features: features.gatherRows(rows)),
                               time: policy.timeFeatures(times)).velocity
    }

    @Test(arguments: [FlowPolicyConfig.Conditioning.film, .concat])
    func indexedConditioningGivesBitIdenticalVelocities(conditioning: FlowPolicyConfig.Conditioning) throws {
        let policy = Self.perturbedPolicy(conditioning)
        let a = try Self.velocities(policy, indexed: true), b = try Self.velocities(policy, indexed: false)
        #expect(a.shape == b.shape)
        #expect(a.scalars == b.scalars)
    }

    @Test(arguments: [FlowPolicyConfig.Conditioning.film, .concat])
    func indexedConditioningGivesTheSameParameterGradients(conditioning: FlowPolicyConfig.Conditioning) throws {
        // The gradients of a shared row are summed before the weight-gradient GEMM instead of inside
        // it, so they differ only in float32 summation order: tolerance 1e-5 relative to the largest entry.
        let policy = Self.perturbedPolicy(conditioning)
        var rng = RandomGenerator(seed: 4)
        let cot = Tensor.randomNormal([Self.rows.count, policy.config.chunkWidth], rng: &rng)
        let ga = try valueAndGrad(policy) { p in (try Self.velocities(p, indexed: true) * cot).sum() }.gradients
        let gb = try valueAndGrad(policy) { p in (try Self.velocities(p, indexed: false) * cot).sum() }.gradients
        #expect(ga.names == gb.names)
        for name in gb.names {
            let a = ga[name]!.scalars, b = gb[name]!.scalars
            let scale = max(b.map(abs).max() ?? 0, 1e-6)
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * scale, "\(name): worst difference \(worst) at scale \(scale)")
        }
    }

    @Test func distinctTimeFeaturesEqualPerRowTimeFeatures() {
        let policy = Self.perturbedPolicy(.film)
        let (features, rows) = policy.distinctTimeFeatures(Self.times)
        #expect(features.gatherRows(rows!).scalars == policy.timeFeatures(Self.times).scalars)
        #expect(policy.distinctTimeFeatures([0.1, 0.2]).rows == nil, "all distinct: no index")
    }

    @Test func tiledAndSelectedRowsComposeLikeMaterialisedCopies() throws {
        let policy = Self.perturbedPolicy(.film)
        let features = try policy.encode(observations: SamplerTests.observations(4))
        let prepared = policy.prepare(features: features)
        let picked = prepared.tiled(3).rows([11, 0, 5, 5])   // tiled row 11 is row 3, row 5 is row 1
        #expect(picked.rowCount == 4)
        #expect(picked.features.scalars == features.gatherRows([3, 0, 1, 1]).scalars)
    }

    @Test func noiseSigmaFromPartsMatchesTheConcatenatedInputWithinFloatTolerance() throws {
        // W·[f, τ] as W_f·f + W_τ·τ rounds differently: |Δσ| ≤ 1e-6 (σ lies in [0.08, 0.16]).
        let policy = Self.perturbedPolicy(.film)
        let noise = try #require(policy.noiseNetwork)
        let features = try policy.encode(observations: SamplerTests.observations(4))
        let (time, timeRows) = policy.distinctTimeFeatures(Self.times)
        let x = Tensor.zeros([Self.rows.count, policy.config.chunkWidth])
        let parts = noise.sigma(features: features, rows: Self.rows, time: time, timeRows: timeRows, chainState: x)
        let whole = noise.sigma(condition: policy.condition(features: features.gatherRows(Self.rows),
                                                            time: time.gatherRows(timeRows!)), chainState: x)
        #expect(parts.shape == whole.shape)
        let worst = zip(parts.scalars, whole.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-6, "worst |Δσ| \(worst)")
    }
}
