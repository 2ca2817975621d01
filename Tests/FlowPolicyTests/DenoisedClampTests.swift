import FlowNN
import FlowPolicy
import Foundation
import Testing

/// The denoised clamp (docs/algorithms.md §3.4): exact where inactive, exact log-densities where
/// active, bounded chains under a field that would otherwise feed on itself.
@Suite struct DenoisedClampTests {
    static let stochasticModes: [SamplingMode] = [
        .flowSDE(schedule: .oneStep, noiseLevel: 0.5), .flowSDE(schedule: .allSteps, noiseLevel: 0.5), .flowNoise,
    ]

    static func policy(bound: Float?) throws -> FlowPolicy {
        let p = SamplerTests.makePolicy()
        try p.setDenoisedClip(bound)
        return p
    }

    @Test func inactiveElementsKeepTheVelocityBitForBit() {
        let x = Tensor([0.5, 3.0, -2.0, 0.1], shape: [2, 2])
        let v = Tensor([0.2, -4.0, 1.0, 0.3], shape: [2, 2])
        let t = Tensor([0.8, 0.4], shape: [2, 1])
        // Estimates x − t·v: 0.34, 6.2 (row 0), −2.4, −0.02 (row 1): only 6.2 leaves ±4.
        let clamped = DenoisedClamp.velocity(x: x, v: v, t: t, bound: 4).scalars
        #expect(clamped[0] == v.scalars[0] && clamped[2] == v.scalars[2] && clamped[3] == v.scalars[3])
        #expect(abs(clamped[1] - (3.0 - 4.0) / 0.8) < 1e-6, "the active element's estimate is exactly the bound")
        #expect(DenoisedClamp.velocity(x: x, v: v, t: t, bound: 100).scalars == v.scalars)
    }

    @Test(arguments: [SamplingMode.ode] + stochasticModes)
    func aBoundNoChainReachesSamplesExactlyAsWithoutTheClamp(mode: SamplingMode) throws {
        let free = try Self.policy(bound: nil), wide = try Self.policy(bound: 1e4)
        let obs = SamplerTests.observations(9)
        var r1 = RandomGenerator(seed: 4), r2 = RandomGenerator(seed: 4)
        let a = try ChunkSampler(mode: mode).sample(free, observations: obs, rng: &r1)
        let b = try ChunkSampler(mode: mode).sample(wide, observations: obs, rng: &r2)
        #expect(a.actions.scalars == b.actions.scalars)
        #expect(a.logDensity?.scalars == b.logDensity?.scalars)
    }

    @Test(arguments: stochasticModes)
    func anActiveClampKeepsRecomputedLogDensitiesIdenticalToTheRecordedOnes(mode: SamplingMode) throws {
        // A bound of 0.3 is active in most elements of every step, so this is the clamp's own path.
        let policy = try Self.policy(bound: 0.3)
        let obs = SamplerTests.observations(7)
        var rng = RandomGenerator(seed: 12)
        let s = try ChunkSampler(mode: mode).sample(policy, observations: obs, rng: &rng)
        let eval = ChainLogDensity.evaluate(policy, record: s.record!, features: try policy.encode(observations: obs))
        #expect(eval.logDensity.scalars == s.logDensity!.scalars, "first-minibatch ratios are exactly 1")
        let free = try Self.policy(bound: nil)
        var rng2 = RandomGenerator(seed: 12)
        let u = try ChunkSampler(mode: mode).sample(free, observations: obs, rng: &rng2)
        #expect(u.actions.scalars != s.actions.scalars, "the clamp was active")
    }

    @Test func evaluationODEStepsUseTheClampedVelocity() throws {
        let policy = try Self.policy(bound: 0.3)
        let obs = SamplerTests.observations(3)
        var rng = RandomGenerator(seed: 1)
        let x0 = Tensor.randomNormal([3, 12], rng: &rng)
        let s = try ChunkSampler(mode: .ode).sample(policy, observations: obs, initialNoise: x0, rng: &rng)
        var x = x0
        let observation = policy.prepare(features: try policy.encode(observations: obs))
        for k in 0..<5 {
            let t = policy.grid.t(k)
            let v = policy.velocity(x, observation: observation, time: policy.timeFeatures(t)).velocity
            x = ODE.step(x: x, v: DenoisedClamp.velocity(x: x, v: v, t: Tensor(t), bound: 0.3), dt: 0.2)
        }
        #expect(s.normalizedChunk.scalars == x.scalars)
        // The last step lands on the clamped data estimate itself: x_K = x − Δ·v' = clip(â) at t = Δ.
        #expect(s.normalizedChunk.largestMagnitude <= 0.3 + 1e-5)
    }

    /// A field with `J_v = −10` (far steeper than a trained one) multiplies an unclamped Flow-SDE
    /// chain by 2–4 per step; clamped, the `x` coefficient of the mean is below 1 and the chain stays
    /// within twice the bound whatever the field does.
    @Test func aChainDrivenByAnExpandingFieldStaysWithinTwiceTheBound() {
        let grid = TimeGrid(steps: 5), bound: Float = 4
        var rng = RandomGenerator(seed: 3)
        let x0 = Tensor.randomNormal([4096, 10], rng: &rng)
        var free = x0, clamped = x0
        for k in 0..<grid.steps {
            let t = grid.t(k), sigma = FlowSDE.sigma(t: t, noiseLevel: 0.5, steps: grid.steps)
            let z = Tensor.randomNormal([4096, 10], rng: &rng)
            let vFree = free * -10
            let (mFree, std) = FlowSDE.moments(x: free, v: vFree, t: t, dt: grid.dt, sigma: sigma)
            free = mFree + z * std
            let v = DenoisedClamp.velocity(x: clamped, v: clamped * -10, t: Tensor(t), bound: bound)
            let (m, s) = FlowSDE.moments(x: clamped, v: v, t: t, dt: grid.dt, sigma: sigma)
            clamped = m + z * s
            #expect(clamped.largestMagnitude <= 2 * bound, "step \(k): \(clamped.largestMagnitude)")
        }
        #expect(free.largestMagnitude > 1000, "without the clamp the same field runs away: \(free.largestMagnitude)")
    }

    @Test func theBoundIsValidatedAndTravelsWithTheCheckpoint() throws {
        let policy = try Self.policy(bound: 2.5)
        #expect(throws: FlowPolicyError.self) { try policy.setDenoisedClip(-1) }
        #expect(throws: FlowPolicyError.self) { try policy.setDenoisedClip(.infinity) }
        #expect(policy.config.denoisedClip == 2.5, "a refused bound leaves the old one")
        let loaded = try FlowPolicy.load(from: try policy.checkpointFile())
        #expect(loaded.config.denoisedClip == 2.5)
        try policy.setDenoisedClip(nil)
        #expect(try FlowPolicy.load(from: try policy.checkpointFile()).config.denoisedClip == nil)
    }

    @Test func theAutomaticBoundIsOneAndAHalfTimesTheFurthestDemonstratedAction() {
        #expect(DenoisedClamp.automaticBound(normalizedDemonstrationActions: Tensor([0.5, -2.4, 1.0, 2.0])) == Float(1.5) * Float(2.4))
    }
}
