import FlowConfig
import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL
import FlowTestSupport
import Foundation
import SafeTensors
import Testing

/// Trainer properties that need no learning: the ratio identity, resume, fault handling.
@Suite struct RLTrainerTests {
    /// A small SFT-free policy for the reach task (random weights are enough for these properties).
    static func policy(noise: Bool = false, seed: UInt64 = 3) throws -> FlowPolicy {
        let env = try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: 1)
        return policy(observationDim: env.spec.observationDim, actionDim: env.spec.actionDim, noise: noise, seed: seed)
    }

    /// The same small policy for any environment's widths.
    static func policy(observationDim: Int, actionDim: Int, noise: Bool = false, seed: UInt64 = 3) -> FlowPolicy {
        var pc = FlowPolicyConfig(observationDim: observationDim, actionDim: actionDim)
        pc.encoderWidths = [32]
        pc.velocityWidth = 32
        pc.velocityDepth = 2
        pc.timeEmbeddingDim = 8
        pc.denoisingSteps = 4
        if noise { pc.noiseNetwork = NoiseNetworkConfig() }
        var rng = RandomGenerator(seed: seed)
        return FlowPolicy(config: pc, rng: &rng)
    }

    /// Small updates: 4 decisions (20 env steps) per environment, 2 epochs of minibatch 16, no KL stop.
    static func config(_ algorithm: RLConfig.Algorithm = .flowSDE) -> RLConfig {
        var c = RLConfig()
        c.algo = algorithm
        c.rolloutSteps = 4
        c.minibatchSize = 16
        c.epochs = 2
        c.iterations = 4
        c.klTarget = nil
        return c
    }

    /// 8 environments, seed 11, no periodic evaluation.
    static let run = RLRun(numEnvs: 8, seed: 11)

    /// Runs one iteration and checks that the critic's parameters moved and the policy's did not.
    static func expectOnlyTheCriticChangesInOneIteration(_ trainer: RLTrainer, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let policyBefore = trainer.policy.parameterValues().mapValues(\.scalars)
        let criticBefore = trainer.critic!.parameterValues().mapValues(\.scalars)
        try trainer.runIteration()
        #expect(trainer.policy.parameterValues().mapValues(\.scalars) == policyBefore, sourceLocation: sourceLocation)
        #expect(trainer.critic!.parameterValues().mapValues(\.scalars) != criticBefore, sourceLocation: sourceLocation)
    }

    static let setups: [(RLConfig.Algorithm, SDESchedule, RLConfig.RatioGranularity, RLConfig.CriticPlacement)] = [
        (.flowSDE, .oneStep, .chunk, .separate),
        (.flowSDE, .allSteps, .step, .obsHead),
        (.flowSDE, .allSteps, .element, .velocityHead),
        (.flowNoise, .oneStep, .chunk, .separate),
        (.grpo, .oneStep, .chunk, .separate),
    ]

    @Test(arguments: 0..<setups.count) func ratioIsExactlyOneOnTheFirstMinibatchOfEveryUpdate(setup: Int) throws {
        let (algorithm, schedule, granularity, placement) = Self.setups[setup]
        var c = Self.config(algorithm)
        c.sdeSchedule = schedule
        c.ratioGranularity = granularity
        c.criticPlacement = placement
        let trainer = try RLTrainer(policy: try Self.policy(noise: algorithm == .flowNoise), envID: "reach-obstacle", config: c, run: RLTrainerTests.run)
        for _ in 0..<3 {
            let m = try trainer.runIteration()
            #expect(m["first_minibatch_ratio_deviation"] == 0, "setup \(setup): \(m["first_minibatch_ratio_deviation"] ?? -1)")
            // Every likelihood-ratio rollout reports how far its chains reach (at least |x_0|'s scale).
            #expect((m["chain_abs_max"] ?? 0) > 0.5 && m["chain_abs_max"]!.isFinite, "setup \(setup): \(m["chain_abs_max"] ?? -1)")
            #expect(m["update_skipped"] == nil)
        }
    }

    @Test func theKLStopEndsTheUpdateInsideTheFirstEpochOnceTheTargetIsExceeded() throws {
        var c = Self.config()
        c.sdeSchedule = .allSteps
        c.actorLR = 0.05  // one step moves the policy far past the target below
        c.klTarget = 1e-6
        c.epochs = 4
        let m = try RLTrainer(policy: try Self.policy(), envID: "reach-obstacle", config: c, run: RLTrainerTests.run).runIteration()
        let perEpoch = (Int(m["decisions"]!) + c.minibatchSize - 1) / c.minibatchSize
        #expect(perEpoch >= 2)
        #expect(m["update_epochs"] == 1 && m["update_minibatches"] == 1, "\(m)")
        #expect(m["approx_kl_at_stop"].map { $0 > 1.5e-6 } == true)

        c.klTarget = nil
        let all = try RLTrainer(policy: try Self.policy(), envID: "reach-obstacle", config: c, run: RLTrainerTests.run).runIteration()
        #expect(all["update_minibatches"] == Double(4 * perEpoch) && all["approx_kl_at_stop"] == nil)
    }

    @Test func anActorScopedKLStopFreezesThePolicyAtTheStopWhileTheCriticFinishesItsEpochs() throws {
        var c = Self.config()
        c.sdeSchedule = .allSteps
        c.actorLR = 0.05
        c.klTarget = 1e-6
        c.epochs = 4
        c.klStop = .actor
        // The same first step as the update-scoped stop: the policy ends where that one ends.
        let updateScoped = try RLTrainer(policy: try Self.policy(), envID: "reach-obstacle", config: { var u = c; u.klStop = .update; return u }(), run: RLTrainerTests.run)
        let u = try updateScoped.runIteration()
        let trainer = try RLTrainer(policy: try Self.policy(), envID: "reach-obstacle", config: c, run: RLTrainerTests.run)
        let criticBefore = trainer.critic!.parameterValues().mapValues(\.scalars)
        let m = try trainer.runIteration()
        let perEpoch = (Int(m["decisions"]!) + c.minibatchSize - 1) / c.minibatchSize
        #expect(m["update_minibatches"] == 1 && m["approx_kl_at_stop"] == u["approx_kl_at_stop"], "\(m)")
        // The stopping minibatch and every later one step the critic: 4 epochs in all.
        #expect(m["critic_only_minibatches"] == Double(4 * perEpoch - 1), "\(m)")
        #expect(trainer.policy.parameterValues().mapValues(\.scalars) == updateScoped.policy.parameterValues().mapValues(\.scalars))
        #expect(trainer.critic!.parameterValues().mapValues(\.scalars) != criticBefore)
        #expect(trainer.critic!.parameterValues().mapValues(\.scalars) != updateScoped.critic!.parameterValues().mapValues(\.scalars))
        #expect(m["critic_only_value_loss"].map { $0.isFinite && $0 > 0 } == true)
    }

    @Test(.slow) func aMultiTaskSuiteReportsTrainingSuccessPerTask() throws {
        let env = try BuiltinEnvironments.make(id: "multitask", numEnvs: 1)
        var pc = FlowPolicyConfig(observationDim: env.spec.observationDim, actionDim: env.spec.actionDim)
        (pc.encoderWidths, pc.velocityWidth, pc.velocityDepth, pc.timeEmbeddingDim, pc.denoisingSteps) = ([16], 16, 1, 8, 4)
        pc.taskCount = env.spec.numTasks
        var rng = RandomGenerator(seed: 2)
        var c = Self.config()
        c.rolloutSteps = 40
        var run = Self.run
        run.numEnvs = 20
        let m = try RLTrainer(policy: FlowPolicy(config: pc, rng: &rng), envID: "multitask", config: c, run: run).runIteration()
        let perTask = env.spec.tasks.compactMap { m["train_success_\($0.name)"] }
        #expect(!perTask.isEmpty && perTask.allSatisfy { (0...1).contains($0) }, "\(m.keys.sorted())")
        // Every task's KL and mean advantage are reported too (all ten tasks have rows here).
        let kls = env.spec.tasks.compactMap { m["approx_kl_\($0.name)"] }
        let advantages = env.spec.tasks.compactMap { m["advantage_mean_\($0.name)"] }
        let spreads = env.spec.tasks.compactMap { m["advantage_std_\($0.name)"] }
        #expect(kls.count == env.spec.tasks.count && kls.allSatisfy { $0.isFinite && $0 >= 0 }, "\(m.keys.sorted())")
        #expect(advantages.count == env.spec.tasks.count && advantages.allSatisfy(\.isFinite))
        #expect(spreads.count == env.spec.tasks.count && spreads.allSatisfy { $0.isFinite && $0 >= 0 } && spreads.contains { $0 > 0 })
    }

    @Test func theKLAdaptiveRateFallsAfterAnEarlyStopRisesAfterAQuietUpdateAndStaysInItsRange() {
        typealias Rate = KLAdaptiveLearningRate
        #expect(Rate.next(1e-4, base: 1e-4, stoppedInFirstEpoch: true, ranEveryEpoch: false, approxKL: 0, target: 0.02) == Float(1e-4) / 1.5)
        #expect(Rate.next(1e-4, base: 1e-4, stoppedInFirstEpoch: false, ranEveryEpoch: true, approxKL: 0.005, target: 0.02) == Float(1e-4) * 1.5)
        #expect(Rate.next(1e-4, base: 1e-4, stoppedInFirstEpoch: false, ranEveryEpoch: true, approxKL: 0.015, target: 0.02) == 1e-4)
        #expect(Rate.next(1e-4, base: 1e-4, stoppedInFirstEpoch: false, ranEveryEpoch: false, approxKL: 0.001, target: 0.02) == 1e-4,
                "stopped in a later epoch: the rate fits")
        #expect(Rate.next(1e-6, base: 1e-4, stoppedInFirstEpoch: true, ranEveryEpoch: false, approxKL: 0, target: 0.02) == 1e-6)
        #expect(Rate.next(1e-3, base: 1e-4, stoppedInFirstEpoch: false, ranEveryEpoch: true, approxKL: 0, target: 0.02) == Float(1e-4) * 10)
    }

    @Test func theKLAdaptiveRateShrinksWhileUpdatesStopAtOnceAndSurvivesAResume() throws {
        var c = Self.config()
        c.sdeSchedule = .allSteps
        c.actorLR = 0.05  // every update stops after its first step
        c.klTarget = 1e-6
        c.actorLRSchedule = .klAdaptive
        let trainer = try RLTrainer(policy: try Self.policy(), envID: "reach-obstacle", config: c, run: RLTrainerTests.run)
        let first = try trainer.runIteration(), second = try trainer.runIteration()
        #expect(first["lr_actor"] == Double(Float(0.05)) && second["lr_actor"] == Double(Float(0.05) / 1.5))
        #expect(trainer.actorLearningRate == Float(0.05) / 1.5 / 1.5)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("adaptive-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try trainer.saveCheckpoint(to: path)
        #expect(try RLTrainer.resume(from: path).actorLearningRate == trainer.actorLearningRate)
        c.klTarget = nil
        #expect(throws: ConfigError.self) { try c.validateAll(path: "rl") }
    }

    @Test func adamBetasChangeTheUpdate() throws {
        func policyAfterOneIteration(beta2: Double) throws -> [String: [Float]] {
            var c = Self.config()
            c.adamBeta2 = beta2
            let trainer = try RLTrainer(policy: try Self.policy(), envID: "reach-obstacle", config: c, run: RLTrainerTests.run)
            try trainer.runIteration()
            return trainer.policy.parameterValues().mapValues(\.scalars)
        }
        #expect(try policyAfterOneIteration(beta2: 0.95) != policyAfterOneIteration(beta2: 0.5))
    }

    @Test func allStepsChainsReportTheirReachAtEveryChainIndex() throws {
        var c = Self.config()
        c.sdeSchedule = .allSteps
        let m = try RLTrainer(policy: try Self.policy(), envID: "reach-obstacle", config: c, run: RLTrainerTests.run).runIteration()
        let byIndex = (0...4).compactMap { m["chain_abs_max_x\($0)"] }
        #expect(byIndex.count == 5 && m["chain_abs_max_x5"] == nil, "x_0 … x_K for K = 4")
        #expect(byIndex.max() == m["chain_abs_max"])
    }

    @Test func resumingFromACheckpointContinuesBitIdentically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for algorithm in RLConfig.Algorithm.allCases {
            let uninterrupted = try RLTrainer(policy: try Self.policy(noise: algorithm == .flowNoise), envID: "reach-obstacle",
                                              config: Self.config(algorithm), run: RLTrainerTests.run)
            for _ in 0..<4 { try uninterrupted.runIteration() }

            let first = try RLTrainer(policy: try Self.policy(noise: algorithm == .flowNoise), envID: "reach-obstacle",
                                      config: Self.config(algorithm), run: RLTrainerTests.run)
            for _ in 0..<2 { try first.runIteration() }
            let path = dir + "/\(algorithm.rawValue).safetensors"
            try first.saveCheckpoint(to: path)
            let resumed = try RLTrainer.resume(from: path)
            #expect(resumed.iteration == 2)
            for _ in 0..<2 { try resumed.runIteration() }
            #expect(resumed.policy.parameterValues().mapValues(\.scalars) == uninterrupted.policy.parameterValues().mapValues(\.scalars),
                    "\(algorithm): policy differs after resume")
            #expect(resumed.critic?.parameterValues().mapValues(\.scalars) == uninterrupted.critic?.parameterValues().mapValues(\.scalars))
            #expect(resumed.environmentSteps == uninterrupted.environmentSteps)
            // A training checkpoint also loads as a plain policy.
            #expect(try FlowPolicy.load(path).config == first.policy.config)
        }
    }

    /// Passes everything through but turns one reward into NaN at a chosen step.
    final class FaultyEnv: VectorEnv {
        let inner: any VectorEnv
        var stepsUntilFault: Int
        init(_ inner: any VectorEnv, faultAfter: Int) { self.inner = inner; stepsUntilFault = faultAfter }
        var spec: EnvSpec { inner.spec }
        var numEnvs: Int { inner.numEnvs }
        var buffers: VectorEnvBuffers { inner.buffers }
        func reset(seeds: [UInt64]) throws { try inner.reset(seeds: seeds) }
        func step(actions: UnsafeBufferPointer<Float>) throws {
            try inner.step(actions: actions)
            stepsUntilFault -= 1
            if stepsUntilFault == 0 { inner.buffers.rewards[0] = .nan }
        }
    }

    @Test func nanRewardFromTheEnvironmentSkipsTheUpdateAndLeavesThePolicyUnchanged() throws {
        let c = Self.config()
        // Iterations last at least reach-obstacle's 60-step time limit: step 70 is in the second one.
        let env = FaultyEnv(try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: Self.run.numEnvs), faultAfter: 70)
        let trainer = try RLTrainer(policy: try Self.policy(), environment: env, evaluationEnvID: "reach-obstacle", config: c, run: RLTrainerTests.run)
        var warnings: [String] = []
        trainer.onWarning = { warnings.append($0) }
        try trainer.runIteration()  // steps 1…60: clean
        let before = trainer.policy.parameterValues().mapValues(\.scalars)
        let m = try trainer.runIteration()  // step 70 is in here
        #expect(m["update_skipped"] == 1)
        #expect(warnings.count == 1 && warnings[0].contains("NaN"), "\(warnings)")
        let unchanged = trainer.policy.parameterValues().mapValues(\.scalars) == before
        #expect(unchanged, "the skipped update changed the policy")
        let after = try trainer.runIteration()  // training continues
        #expect(after["update_skipped"] == nil)
        let changed = trainer.policy.parameterValues().mapValues(\.scalars) != before
        #expect(changed, "training did not continue after the skipped update")
    }

    @Test func invalidConfigurationsAreRejectedWithTheFieldName() throws {
        var c = Self.config()
        c.clipLow = 1.5
        let error = #expect(throws: ConfigError.self) {
            _ = try RLTrainer(policy: try Self.policy(), envID: "reach-obstacle", config: c, run: RLTrainerTests.run)
        }
        #expect(error?.description.contains("rl.clip_low") == true, "\(String(describing: error))")
        #expect(throws: RLError.self) {
            _ = try RLTrainer(policy: try Self.policy(), envID: "reach-obstacle", config: Self.config(.flowNoise), run: RLTrainerTests.run)
        }
    }
}

@Suite struct CriticWarmupTests {
    @Test func duringCriticWarmupOnlyTheCriticChanges() throws {
        var c = RLTrainerTests.config()
        c.criticWarmupIterations = 1
        let trainer = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: c, run: RLTrainerTests.run)
        let policyBefore = trainer.policy.parameterValues().mapValues(\.scalars)
        try RLTrainerTests.expectOnlyTheCriticChangesInOneIteration(trainer)
        try trainer.runIteration()
        #expect(trainer.policy.parameterValues().mapValues(\.scalars) != policyBefore)
    }
}

@Suite struct TrainingSeedTests {
    @Test func trainingEpisodesNeverReuseEvaluationOrDemonstrationSeeds() throws {
        // Evaluation uses 1_000_000 + i, demonstration collection seed·1_000_003 + i: both small.
        let c = RLTrainerTests.config()
        let env = try RecordingEnv(id: "reach-obstacle", numEnvs: RLTrainerTests.run.numEnvs)
        let trainer = try RLTrainer(policy: try RLTrainerTests.policy(), environment: env, evaluationEnvID: "reach-obstacle", config: c, run: RLTrainerTests.run)
        for _ in 0..<3 { try trainer.runIteration() }
        #expect(env.seeds.count == 3 * RLTrainerTests.run.numEnvs)
        #expect(env.seeds.allSatisfy { $0 > (1 << 32) }, "a training seed fell into the evaluation/collection range")
        #expect(Set(env.seeds).count == env.seeds.count, "iterations reuse seeds")
    }

    /// Records every reset seed.
    final class RecordingEnv: VectorEnv {
        let inner: any VectorEnv
        var seeds: [UInt64] = []
        init(id: String, numEnvs: Int) throws { inner = try BuiltinEnvironments.make(id: id, numEnvs: numEnvs) }
        var spec: EnvSpec { inner.spec }
        var numEnvs: Int { inner.numEnvs }
        var buffers: VectorEnvBuffers { inner.buffers }
        func reset(seeds: [UInt64]) throws { self.seeds += seeds; try inner.reset(seeds: seeds) }
        func step(actions: UnsafeBufferPointer<Float>) throws { try inner.step(actions: actions) }
    }
}

@Suite struct RolloutLengthTests {
    @Test func iterationsShorterThanTheTimeLimitStillLetEveryEpisodeFinish() throws {
        // push has a 120-step time limit; ask for 20 steps per iteration.
        let env = try BuiltinEnvironments.make(id: "push", numEnvs: 4)
        var pc = FlowPolicyConfig(observationDim: env.spec.observationDim, actionDim: env.spec.actionDim)
        pc.encoderWidths = [16]; pc.velocityWidth = 16; pc.velocityDepth = 1; pc.timeEmbeddingDim = 8
        var rng = RandomGenerator(seed: 1)
        var c = RLTrainerTests.config()
        c.rolloutSteps = 4  // 20 env steps
        c.minibatchSize = 8
        var run = RLTrainerTests.run
        run.numEnvs = 4
        let trainer = try RLTrainer(policy: FlowPolicy(config: pc, rng: &rng), envID: "push", config: c, run: run)
        let m = try trainer.runIteration()
        #expect(trainer.environmentSteps == 4 * env.spec.maxEpisodeSteps)
        #expect(m["train_episodes"] ?? 0 >= 4, "every environment's first episode finished")
    }
}

@Suite struct TrainerMetricsTests {
    @Test func metricsListOnlyTheQuantitiesTheRunHas() throws {
        // A flat 0 for σ, entropy or ensemble disagreement would read as a measurement in the report.
        let sde = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: RLTrainerTests.config(.flowSDE), run: RLTrainerTests.run).runIteration()
        #expect(sde["sigma_mean"] != nil && sde["entropy"] == nil && sde["ensemble_disagreement"] == nil)
        let noise = try RLTrainer(policy: try RLTrainerTests.policy(noise: true), envID: "reach-obstacle", config: RLTrainerTests.config(.flowNoise), run: RLTrainerTests.run).runIteration()
        #expect(noise["sigma_mean"] != nil && noise["entropy"] != nil)
        let fpo = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: RLTrainerTests.config(.fpo), run: RLTrainerTests.run).runIteration()
        #expect(fpo["sigma_mean"] == nil, "ODE rollouts have no σ")
        var ensemble = RLTrainerTests.config(.fpoLyu)
        ensemble.ensembleSize = 3
        let withEnsemble = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: ensemble, run: RLTrainerTests.run).runIteration()
        #expect((withEnsemble["ensemble_disagreement"] ?? 0) > 0)
    }

    @Test func theShapedRewardReachesTheTrainingEnvironment() throws {
        var shaped = RLTrainerTests.run
        shaped.shapedReward = true
        let a = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: RLTrainerTests.config(.flowSDE), run: RLTrainerTests.run).runIteration()
        let b = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: RLTrainerTests.config(.flowSDE), run: shaped).runIteration()
        // Same policy, seeds and actions; only the reward differs (success is still counted the same).
        #expect(a["value_loss"] != b["value_loss"], "sparse \(a["value_loss"] ?? .nan), shaped \(b["value_loss"] ?? .nan)")
        #expect(a["train_success"] == b["train_success"] || (a["train_success"]!.isNaN && b["train_success"]!.isNaN))
    }
}

extension RLTrainerTests {
    /// `rolloutTimeLimit` shortens the training episodes only: with a limit of 10 steps on
    /// reach-obstacle (its own limit is 60) no training episode is longer than 10, while the
    /// evaluation still runs episodes to the task's own limit.
    @Test func aRolloutTimeLimitShortensTrainingEpisodesButNotEvaluation() throws {
        var c = Self.config()
        c.maxEpisodeSteps = 10
        c.rolloutSteps = 12  // 60 env steps
        var run = Self.run
        run.evalEpisodes = 8
        let trainer = try RLTrainer(policy: try Self.policy(), envID: "reach-obstacle", config: c, run: run)
        let metrics = try trainer.runIteration()
        #expect(metrics["train_length"]! <= 10)
        #expect(metrics["train_episodes"]! >= Double(run.numEnvs * 6), "each environment runs at least six 10-step episodes")
        let report = try trainer.evaluate()
        #expect(report.meanLength > 10, "a random policy rarely succeeds: evaluation episodes run to 60 steps")
    }
}

extension RLTrainerTests {
    /// Latent exploration correlates the initial noise of successive decisions, which a chain's
    /// log-density conditions on: under Flow-SDE and Flow-Noise the first minibatch's ratios stay
    /// exactly 1, and the rollout differs from the one with independent noise.
    @Test(arguments: [RLConfig.Algorithm.flowSDE, .flowNoise])
    func latentExplorationKeepsEveryLikelihoodRatioExact(algorithm: RLConfig.Algorithm) throws {
        var c = Self.config(algorithm)
        c.sdeSchedule = .allSteps
        c.latentExploration = true
        c.latentRho = 0.9
        let trainer = try RLTrainer(policy: try Self.policy(noise: algorithm == .flowNoise), envID: "reach-obstacle", config: c, run: RLTrainerTests.run)
        let correlated = try trainer.runIteration()
        #expect(correlated["first_minibatch_ratio_deviation"] == 0)
        c.latentExploration = false
        let independent = try RLTrainer(policy: try Self.policy(noise: algorithm == .flowNoise), envID: "reach-obstacle", config: c, run: RLTrainerTests.run)
            .runIteration()
        #expect(correlated["policy_loss"] != independent["policy_loss"] && correlated["value_loss"] != independent["value_loss"])
    }
}

extension RLTrainerTests {
    /// A checkpoint of an earlier format (its RL settings were a JSON copy of a struct that no longer
    /// exists) is refused with what to do instead, not misread.
    @Test func aCheckpointOfAnEarlierFormatIsRefusedWithWhatToDo() throws {
        let trainer = try RLTrainer(policy: try Self.policy(), envID: "reach-obstacle", config: Self.config(), run: Self.run)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("old-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try trainer.saveCheckpoint(to: path)
        var file = try SafeTensorsFile.read(from: path)
        file.metadata["trainer_format"] = "flowtune.rl-checkpoint/1"
        try file.write(to: path)
        let error = #expect(throws: RLError.self) { _ = try RLTrainer.resume(from: path) }
        #expect(error?.description.contains("earlier FlowTune") == true && error?.description.contains("--init") == true,
                "\(String(describing: error))")
    }
}
