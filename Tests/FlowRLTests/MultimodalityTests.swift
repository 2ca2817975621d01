import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL
import FlowTestSupport
import Testing

/// A flow policy represents a two-mode action distribution; an MSE regressor averages the modes.
@Suite struct MultimodalityTests {
    /// Half the episodes act "left" (x ≈ −0.7), half "right" (x ≈ +0.7); the observation does not
    /// say which (like choosing a route around an obstacle).
    static func twoModeDemonstrations(episodes: Int, seed: UInt64) -> DemonstrationDataset {
        var rng = RandomGenerator(seed: seed)
        var d = DemonstrationDataset(envID: "two-modes", observationDim: 2, actionDim: 2, source: "synthetic")
        for _ in 0..<episodes {
            let side: Float = rng.nextUniform() < 0.5 ? -0.7 : 0.7
            var obs: [Float] = [], act: [Float] = []
            for _ in 0..<5 {
                obs += [rng.nextUniform(-1, 1), rng.nextUniform(-1, 1)]
                act += [side + 0.05 * rng.nextNormal(), 0.3 + 0.05 * rng.nextNormal()]
            }
            d.append(observations: obs, actions: act, rewards: [Float](repeating: 0, count: 5), success: true, task: 0)
        }
        return d
    }

    struct ModeShares: CustomStringConvertible {
        var left = 0, right = 0, middle = 0
        var n: Int { left + right + middle }
        var description: String { "left \(left)/\(n), right \(right)/\(n), between \(middle)/\(n)" }
        mutating func add(_ x: Float) {
            if x < -0.35 { left += 1 } else if x > 0.35 { right += 1 } else { middle += 1 }
        }
    }

    @Test(.slow) func flowPolicyCoversBothModesWhileMSERegressionCollapsesBetweenThem() throws {
        let demos = Self.twoModeDemonstrations(episodes: 200, seed: 1)
        var pc = FlowPolicyConfig(observationDim: 2, actionDim: 2)
        pc.chunkLength = 2
        pc.denoisingSteps = 8
        pc.encoderWidths = [64, 64]
        pc.velocityWidth = 128
        pc.velocityDepth = 2
        pc.timeEmbeddingDim = 32
        var sft = SFTConfig()
        sft.steps = 800
        sft.batchSize = 128
        sft.lr = 2e-3
        sft.warmupSteps = 50
        sft.heldOutFraction = 0.1
        let result = try SFTTrainer(dataset: demos, policyConfig: pc, config: sft, seed: 7).run()

        // Sample 1000 chunks from random observations with the deterministic ODE sampler.
        var rng = RandomGenerator(seed: 99)
        let obs = Tensor.randomUniform([1000, 2], low: -1, high: 1, rng: &rng)
        let s = try ChunkSampler(mode: .ode).sample(result.policy, observations: obs, rng: &rng)
        var flow = ModeShares()
        for i in 0..<1000 { flow.add(s.actions[i, 0, 0]) }

        // The baseline: same data, an MLP trained to regress the chunk with MSE.
        var mrng = RandomGenerator(seed: 7)
        let mlp = MLP(widths: [2, 64, 64, 4], activation: .silu, rng: &mrng)
        let opt = AdamW(schedule: .constant(2e-3))
        let pairs = ChunkedDemonstrations(demos, chunkLength: 2)
        for _ in 0..<800 {
            let idx = (0..<128).map { _ in mrng.nextInt(below: pairs.count) }
            let batch = pairs.batch(indices: idx)
            let x = Tensor(batch.observations, shape: [128, 2]), y = Tensor(batch.chunks, shape: [128, 4])
            let (_, g) = valueAndGrad(mlp) { m in (m(x) - y).square().mean() }
            opt.update(mlp, gradients: g)
        }
        let pred = mlp(obs)
        var mse = ModeShares()
        for i in 0..<1000 { mse.add(pred[i, 0]) }

        print("multimodality (1000 samples): flow policy \(flow); MSE regression \(mse)")
        #expect(flow.middle <= 100, "flow samples between the modes: \(flow)")
        #expect((350...650).contains(flow.left) && (350...650).contains(flow.right), "flow mode proportions: \(flow)")
        #expect(mse.middle >= 900, "MSE regression should collapse between the modes: \(mse)")
    }
}
