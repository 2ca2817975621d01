import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL
import FlowTestSupport
import Testing

/// RL lifts a few-shot SFT policy on the easiest built-in task (docs/algorithms.md §6's shape, in small).
@Suite(.slow) struct RLLearningTests {
    /// The 10-demonstration SFT policy of reach-obstacle with FlowTune's default architecture.
    static func tenDemoPolicy() throws -> FlowPolicy {
        let demos = try DemonstrationCollector(envID: "reach-obstacle", numEnvs: 16).collect(episodes: 10, seed: 0)
        var pc = FlowPolicyConfig(observationDim: demos.observationDim, actionDim: demos.actionDim)
        pc.encoderWidths = [128, 128]
        pc.velocityWidth = 128
        pc.velocityDepth = 3
        pc.timeEmbeddingDim = 32
        var sft = SFTConfig()
        sft.steps = 2000
        sft.batchSize = 128
        sft.heldOutFraction = 0
        return try SFTTrainer(dataset: demos, policyConfig: pc, config: sft).run().policy
    }

    /// Trains and checks that success rose significantly: a two-proportion z statistic on 200 + 200
    /// evaluation episodes above 3.
    static func expectSignificantLift(_ name: String, rl: RLConfig) throws {
        let policy = try tenDemoPolicy()
        let evaluator = Evaluator(envID: "reach-obstacle", episodes: 200)
        let before = try evaluator.evaluate(policy)
        let trainer = try RLTrainer(policy: policy, envID: "reach-obstacle", config: rl, run: RLRun(numEnvs: 64, seed: 0))
        try trainer.run()
        let after = try evaluator.evaluate(trainer.policy)
        let p1 = before.successRate, p2 = after.successRate
        let pooled = Double(before.successes + after.successes) / 400
        let z = (p2 - p1) / (pooled * (1 - pooled) * (2.0 / 200)).squareRoot()
        let message = "\(name): SFT \(before.successes)/200 (\(before.summary)) → RL \(after.successes)/200 (\(after.summary)), z = \(z), \(trainer.environmentSteps) env steps"
        print("RL learning test: \(message)")
        #expect(z > 3, "\(message)")
    }

    @Test func flowSDEPPORaisesReachObstacleSuccessSignificantlyAboveTheTenDemoSFTPolicy() throws {
        var rl = RLConfig()
        rl.rolloutSteps = 20  // 100 env steps
        rl.iterations = 100
        rl.actorLR = 2e-4
        rl.klTarget = nil
        try Self.expectSignificantLift("Flow-SDE", rl: rl)
    }

    @Test func fpoPlusPlusRaisesReachObstacleSuccessSignificantlyAboveTheTenDemoSFTPolicy() throws {
        var rl = RLConfig()
        rl.algo = .fpoPlusPlus
        rl.rolloutSteps = 20  // 100 env steps
        rl.iterations = 50
        rl.klTarget = 0.02
        try Self.expectSignificantLift("FPO++", rl: rl)
    }
}
