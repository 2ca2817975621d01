import FlowNN
import FlowPolicy
import Foundation
import SafeTensors
import Testing

/// Sampler properties: reproducibility, the rollout/update log-density identity, checkpoints.
@Suite struct SamplerTests {
    static let modes: [SamplingMode] = [
        .ode, .flowSDE(schedule: .oneStep, noiseLevel: 0.5), .flowSDE(schedule: .allSteps, noiseLevel: 0.5), .flowNoise,
    ]

    static func makePolicy(seed: UInt64 = 1, conditioning: FlowPolicyConfig.Conditioning = .film, tasks: Int = 0) -> FlowPolicy {
        var config = FlowPolicyConfig(observationDim: 6, actionDim: 3)
        config.chunkLength = 4
        config.denoisingSteps = 5
        config.encoderWidths = [32, 32]
        config.velocityWidth = 48
        config.velocityDepth = 2
        config.timeEmbeddingDim = 16
        config.conditioning = conditioning
        config.taskCount = tasks
        config.noiseNetwork = NoiseNetworkConfig()
        var rng = RandomGenerator(seed: seed)
        return FlowPolicy(config: config, observationNormalizer: Normalizer(mean: [0.1, -0.2, 0, 0.3, 1, 0], std: [1, 2, 0.5, 1, 1, 0]),
                          actionNormalizer: Normalizer(mean: [0, 0.1, -0.1], std: [0.5, 0.7, 1.2]), rng: &rng)
    }

    static func observations(_ b: Int, seed: UInt64 = 9) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return Tensor.randomNormal([b, 6], rng: &rng)
    }

    @Test(arguments: modes) func sameSeedGivesBitIdenticalSamples(mode: SamplingMode) throws {
        let policy = Self.makePolicy()
        let obs = Self.observations(13)
        var r1 = RandomGenerator(seed: 5), r2 = RandomGenerator(seed: 5), r3 = RandomGenerator(seed: 6)
        let sampler = ChunkSampler(mode: mode)
        let a = try sampler.sample(policy, observations: obs, rng: &r1)
        let b = try sampler.sample(policy, observations: obs, rng: &r2)
        let c = try sampler.sample(policy, observations: obs, rng: &r3)
        #expect(a.actions.shape == [13, 4, 3])
        #expect(a.actions.scalars == b.actions.scalars)
        #expect(a.actions.scalars != c.actions.scalars)
        #expect(a.logDensity?.scalars == b.logDensity?.scalars)
        #expect(r1 == r2, "the generator advanced identically")
    }

    @Test func odeSamplingWithGivenNoiseIsDeterministicAndEqualsManualEulerSteps() throws {
        let policy = Self.makePolicy()
        let obs = Self.observations(3)
        var rng = RandomGenerator(seed: 1)
        let x0 = Tensor.randomNormal([3, 12], rng: &rng)
        var unused = RandomGenerator(seed: 99)
        let s = try ChunkSampler(mode: .ode).sample(policy, observations: obs, initialNoise: x0, rng: &unused)
        #expect(unused == RandomGenerator(seed: 99), "ODE sampling with given noise draws nothing")
        var x = x0
        let observation = policy.prepare(features: try policy.encode(observations: obs))
        for k in 0..<5 {
            let v = policy.velocity(x, observation: observation, time: policy.timeFeatures([Float](repeating: policy.grid.t(k), count: 3))).velocity
            x = ODE.step(x: x, v: v, dt: 0.2)
        }
        #expect(s.normalizedChunk.scalars == x.scalars)
        #expect(s.actions.scalars == policy.actions(fromNormalized: x).scalars)
    }

    @Test(arguments: modes.dropFirst()) func recomputedLogDensitiesEqualThoseRecordedAtSampling(mode: SamplingMode) throws {
        // Same parameters ⇒ the PPO ratio is exactly 1, also on a shuffled minibatch of the rows.
        let policy = Self.makePolicy(tasks: 0)
        let obs = Self.observations(37)
        var rng = RandomGenerator(seed: 21)
        let s = try ChunkSampler(mode: mode).sample(policy, observations: obs, rng: &rng)
        let record = try #require(s.record), recorded = try #require(s.logDensity)
        let full = ChainLogDensity.evaluate(policy, record: record, features: try policy.encode(observations: obs))
        #expect(full.logDensity.shape == recorded.shape)
        #expect(full.logDensity.scalars == recorded.scalars)
        let rows = [36, 3, 17, 0, 5, 5, 22]
        let sub = ChainLogDensity.evaluate(policy, record: record.rows(rows),
                                           features: try policy.encode(observations: obs.gatherRows(rows)))
        #expect(sub.logDensity.scalars == recorded.gatherRows(rows).scalars)
        for granularity in LogDensityAggregation.Granularity.allCases {
            let agg = LogDensityAggregation(granularity: granularity, overSteps: .mean, overDims: .mean, includeInitialNoise: true)
            let old = agg.aggregate(recorded.gatherRows(rows), initialNoise: record.initialNoise.gatherRows(rows), chunkLength: 4, actionDim: 3)
            let new = agg.aggregate(sub.logDensity, initialNoise: record.rows(rows).initialNoise, chunkLength: 4, actionDim: 3)
            #expect((new - old).exp().scalars.allSatisfy { $0 == 1 }, "ratio ≠ 1 at \(granularity)")
        }
    }

    @Test func oneStepScheduleRecordsOneNonFinalStepPerChain() throws {
        let policy = Self.makePolicy()
        var rng = RandomGenerator(seed: 3)
        let s = try ChunkSampler(mode: .flowSDE(schedule: .oneStep, noiseLevel: 0.5)).sample(policy, observations: Self.observations(400), rng: &rng)
        let record = try #require(s.record)
        #expect(record.transitions.count == 1)
        let steps = record.transitions[0].step
        #expect(steps.allSatisfy { (0...3).contains($0) }, "j ∈ {0…K−2}")
        #expect(Set(steps) == Set(0...3), "every admissible step occurs")
        #expect(s.logDensity!.shape == [400, 1, 12])
    }

    @Test func flowNoiseStdStaysWithinItsBoundsAndAllStepsAreRecorded() throws {
        let policy = Self.makePolicy()
        var rng = RandomGenerator(seed: 4)
        let s = try ChunkSampler(mode: .flowNoise).sample(policy, observations: Self.observations(8), rng: &rng)
        #expect(s.record!.transitions.count == 5)
        #expect(s.std!.shape == [8, 5, 12])
        #expect(s.std!.scalars.allSatisfy { $0 >= 0.08 * 0.9999 && $0 <= 0.16 * 1.0001 })
    }

    @Test func saveLoadRoundTripGivesIdenticalActionsForIdenticalNoise() throws {
        for conditioning in FlowPolicyConfig.Conditioning.allCases {
            let policy = Self.makePolicy(seed: 11, conditioning: conditioning, tasks: 3)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString).safetensors").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try policy.save(to: path, metadata: ["note": "test"])
            let loaded = try FlowPolicy.load(path)
            #expect(loaded.config == policy.config)
            #expect(loaded.observationNormalizer == policy.observationNormalizer)
            #expect(loaded.actionNormalizer == policy.actionNormalizer)
            let obs = Self.observations(5)
            for mode in Self.modes {
                var r1 = RandomGenerator(seed: 2), r2 = RandomGenerator(seed: 2)
                let a = try ChunkSampler(mode: mode).sample(policy, observations: obs, taskIndices: [0, 1, 2, 1, 0], rng: &r1)
                let b = try ChunkSampler(mode: mode).sample(loaded, observations: obs, taskIndices: [0, 1, 2, 1, 0], rng: &r2)
                #expect(a.actions.scalars == b.actions.scalars, "\(conditioning) \(mode)")
            }
        }
    }

    @Test func loadingSomethingElseGivesATypedErrorNotACrash() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("other-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafeTensorsFile(tensors: ["w": SafeTensor(floats: [1], shape: [1])], metadata: [:]).write(to: path)
        #expect(throws: FlowPolicyError.self) { try FlowPolicy.load(path) }
        #expect(throws: SafeTensorsError.self) { try FlowPolicy.load(path + ".missing") }
    }

    @Test func wrongObservationWidthOrTaskIndexIsATypedError() throws {
        let policy = Self.makePolicy(tasks: 2)
        var rng = RandomGenerator(seed: 1)
        #expect(throws: FlowPolicyError.observationShape(expected: 6, got: [2, 5])) {
            _ = try ChunkSampler().sample(policy, observations: Tensor.zeros([2, 5]), rng: &rng)
        }
        #expect(throws: FlowPolicyError.taskIndexOutOfRange(index: 2, taskCount: 2)) {
            _ = try ChunkSampler().sample(policy, observations: Tensor.zeros([2, 6]), taskIndices: [0, 2], rng: &rng)
        }
    }

    @Test func taskEmbeddingMakesTheSameObservationActDifferentlyPerTask() throws {
        // Concat conditioning: an untrained FiLM policy is deliberately blind to its conditioning
        // (FiLM starts as the identity), so only training would reveal the task there.
        let policy = Self.makePolicy(conditioning: .concat, tasks: 3)
        let obs = Self.observations(1).gatherRows([0, 0, 0])
        var rng = RandomGenerator(seed: 1)
        let x0 = Tensor.randomNormal([1, 12], rng: &rng).gatherRows([0, 0, 0])
        let s = try ChunkSampler().sample(policy, observations: obs, taskIndices: [0, 1, 2], initialNoise: x0, rng: &rng)
        let rows = (0..<3).map { s.normalizedChunk.gatherRows([$0]).scalars }
        #expect(rows[0] != rows[1] && rows[1] != rows[2])
    }
}
