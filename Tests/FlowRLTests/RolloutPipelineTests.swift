import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL
import FlowTestSupport
import Testing

/// The rollout pipeline (docs/architecture.md, "The rollout pipeline"): stepping the environments in
/// parts, one part's step in flight while the next part's chunks are sampled, changes no bit of a
/// training run, whatever the number of parts and workers.
@Suite struct RolloutPipelineTests {
    static let setups: [(name: String, configure: @Sendable (inout RLConfig) -> Void)] = [
        ("flow-sde one step", { $0.algo = .flowSDE; $0.sdeSchedule = .oneStep }),
        ("flow-sde all steps", { $0.algo = .flowSDE; $0.sdeSchedule = .allSteps; $0.criticPlacement = .velocityHead }),
        ("flow-noise", { $0.algo = .flowNoise }),
        ("fpo-lyu", {
            $0.algo = .fpoLyu; $0.sdeSchedule = .allSteps; $0.fpoRolloutSampler = .flowSDE
            $0.latentRho = 0.5; $0.ensembleSize = 3
        }),
        ("grpo", { $0.algo = .grpo; $0.grpoGroupSize = 4 }),
    ]

    /// Everything two iterations leave behind: the parameters and every metric, as bit patterns.
    static func train(_ setup: Int, environment: (any VectorEnv)?, parts: Int = RLTrainer.defaultRolloutParts) throws -> [String: [UInt64]] {
        var config = RLTrainerTests.config()
        config.iterations = 2
        Self.setups[setup].configure(&config)
        let run = RLRun(numEnvs: 12, seed: RLTrainerTests.run.seed)
        let policy = try RLTrainerTests.policy(noise: config.algo == .flowNoise)
        let trainer = try environment.map { try RLTrainer(policy: policy, environment: $0, evaluationEnvID: "reach-obstacle", config: config, run: run) }
            ?? RLTrainer(policy: policy, envID: "reach-obstacle", config: config, run: run)
        trainer.rolloutParts = parts
        var out: [String: [UInt64]] = [:]
        for _ in 0..<config.iterations {
            for (key, value) in try trainer.runIteration() where !RLTrainer.isTimingMetric(key) { out["iteration \(trainer.iteration) \(key)"] = [value.bitPattern] }
        }
        for (name, value) in trainer.policy.parameterValues() { out["policy " + name] = value.scalars.map { UInt64($0.bitPattern) } }
        for (name, value) in trainer.critic?.parameterValues() ?? [:] { out["critic " + name] = value.scalars.map { UInt64($0.bitPattern) } }
        return out
    }

    @Test(arguments: 0..<setups.count)
    func trainingIsTheSameBitsWhateverTheNumberOfPartsAndWorkers(setup: Int) throws {
        let plain = try Self.train(setup, environment: nil)
        for (workers, parts) in [(1, 2), (2, 2), (3, 2), (3, 3), (5, 2)] {
            let env = try PartwiseEnvironment(id: "reach-obstacle", numEnvs: 12, workers: workers)
            let pipelined = try Self.train(setup, environment: env, parts: parts)
            #expect(pipelined == plain, "\(Self.setups[setup].name): \(workers) workers in \(parts) parts differ from one batch in \(pipelined.keys.filter { pipelined[$0] != plain[$0] }.sorted().prefix(5))")
        }
    }

    @Test func eachPartIsBegunBeforeThePreviousOneIsFinished() throws {
        let env = try PartwiseEnvironment(id: "reach-obstacle", numEnvs: 12, workers: 2)
        _ = try Self.train(0, environment: env, parts: 2)
        let a = 0..<6, b = 6..<12
        #expect(Array(env.events.prefix(6)) == [.begin(a), .begin(b), .finish(a), .begin(a), .finish(b), .begin(b)])
        #expect(!env.events.contains(.begin(0..<12)), "no step of the whole batch at once")
    }

    /// The same through the Python bridge: MetaWorld reach with 1 worker (one part) and with 2 and 3
    /// workers (two parts, the second of two workers).
    @Test(.requiresPython("numpy", "gymnasium", "mujoco", "metaworld"), .slow)
    func metaWorldTrainingIsTheSameBitsWithOneTwoOrThreeWorkers() throws {
        var config = RLTrainerTests.config()
        config.iterations = 1
        let run = RLRun(numEnvs: 6, seed: RLTrainerTests.run.seed)
        func train(workers: Int) throws -> [String: [UInt64]] {
            let env = try PythonBridgeEnv(id: "metaworld/reach-v3", numEnvs: run.numEnvs, options: .init(maxEpisodeSteps: 15),
                                          configuration: .init(workers: workers, onWorkerRestart: { _ in }))
            defer { env.close() }
            let policy = RLTrainerTests.policy(observationDim: env.spec.observationDim, actionDim: env.spec.actionDim)
            let trainer = try RLTrainer(policy: policy, environment: env,
                                        evaluationEnvID: "metaworld/reach-v3", config: config, run: run)
            var out: [String: [UInt64]] = [:]
            for (key, value) in try trainer.runIteration() where !RLTrainer.isTimingMetric(key) { out[key] = [value.bitPattern] }
            for (name, value) in trainer.policy.parameterValues() { out["policy " + name] = value.scalars.map { UInt64($0.bitPattern) } }
            #expect(env.restarts.isEmpty)
            return out
        }
        let one = try train(workers: 1)
        #expect((one["train_episodes"]?.first).map { Double(bitPattern: $0) } ?? 0 > 0, "episodes should end inside the iteration")
        #expect(try train(workers: 2) == one)
        #expect(try train(workers: 3) == one)
    }
}
