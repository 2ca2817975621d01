import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL
import Testing

/// RL lifts a few-shot SFT policy on the easiest built-in task (ALGORITHMS.md §6's shape, in small).
@Suite struct RLLearningTests {
    @Test func flowSDEPPORaisesReachObstacleSuccessSignificantlyAboveTheTenDemoSFTPolicy() throws {
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
        let policy = try SFTTrainer(dataset: demos, policyConfig: pc, config: sft).run().policy

        let evaluator = Evaluator(envID: "reach-obstacle", episodes: 200)
        let before = try evaluator.evaluate(policy)

        var rl = RLConfig()
        rl.numEnvs = 64
        rl.stepsPerIteration = 100
        rl.iterations = 100
        rl.actorLearningRate = 2e-4
        rl.evalEvery = 0
        let trainer = try RLTrainer(policy: policy, envID: "reach-obstacle", config: rl)
        try trainer.run()
        let after = try evaluator.evaluate(trainer.policy)

        // Two-proportion z statistic on 200 + 200 evaluation episodes.
        let p1 = before.successRate, p2 = after.successRate
        let pooled = Double(before.successes + after.successes) / 400
        let z = (p2 - p1) / (pooled * (1 - pooled) * (2.0 / 200)).squareRoot()
        let message = "SFT \(before.successes)/200 (\(before.summary)) → RL \(after.successes)/200 (\(after.summary)), z = \(z), \(trainer.environmentSteps) env steps"
        print("RL learning test: \(message)")
        #expect(z > 3, "\(message)")
    }
}
