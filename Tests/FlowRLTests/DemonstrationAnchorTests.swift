import FlowConfig
import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL
import Foundation
import Testing

/// The behaviour-cloning anchor: it needs demonstrations, it pulls the policy toward them, and a run
/// with it still resumes bit for bit.
@Suite struct DemonstrationAnchorTests {
    static let demos: DemonstrationDataset = try! DemonstrationCollector(envID: "reach-obstacle", numEnvs: 8).collect(episodes: 4, seed: 5)

    static func config(anchor coefficient: Double?) -> RLConfig {
        var c = RLTrainerTests.config(.fpo)
        c.demoLossCoef = coefficient
        c.demoBatchSize = 32
        return c
    }

    /// The demonstrations' CFM loss on fixed pairs and noise, for comparing policies.
    static func demonstrationLoss(_ policy: FlowPolicy) throws -> Float {
        let pairs = ChunkedDemonstrations(demos, chunkLength: policy.config.chunkLength)
        var rng = RandomGenerator(seed: 99)
        let n = min(pairs.count, 256)
        let times = (0..<n).map { _ in rng.nextUniform() }
        let noise = Tensor.randomNormal([n, policy.config.chunkWidth], rng: &rng)
        return try SFTTrainer.loss(policy, pairs: pairs, indices: Array(0..<n), times: times, noise: noise).item
    }

    @Test func anAnchorWithoutDemonstrationsIsAnErrorThatSaysWhatToPass() throws {
        #expect {
            _ = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: Self.config(anchor: 0.5), run: RLTrainerTests.run)
        } throws: { error in
            "\(error)".contains("demonstrations")
        }
    }

    @Test func nonPositiveCoefficientIsRejected() throws {
        #expect(throws: ConfigError.self) {
            _ = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: Self.config(anchor: 0), run: RLTrainerTests.run,
                              demonstrations: Self.demos)
        }
    }

    @Test func theAnchorLowersTheDemonstrationLossBelowTheUnanchoredRun() throws {
        // Same policy, rollouts and seeds; the only difference is λ·CFM(demos) in the actor loss.
        let plain = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: Self.config(anchor: nil), run: RLTrainerTests.run)
        let anchored = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: Self.config(anchor: 5), run: RLTrainerTests.run,
                                     demonstrations: Self.demos)
        let before = try Self.demonstrationLoss(plain.policy)
        var logged: [Double] = []
        for _ in 0..<4 {
            try plain.runIteration()
            logged.append(try anchored.runIteration()["demo_cfm_loss"] ?? .nan)
        }
        let plainLoss = try Self.demonstrationLoss(plain.policy), anchoredLoss = try Self.demonstrationLoss(anchored.policy)
        #expect(anchoredLoss < plainLoss && anchoredLoss < before,
                "demonstration CFM loss: start \(before), plain FPO \(plainLoss), anchored \(anchoredLoss)")
        #expect(logged.allSatisfy { $0.isFinite && $0 > 0 }, "logged demo_cfm_loss \(logged)")
    }

    @Test func anAnchoredRunResumesBitIdentically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = Self.config(anchor: 1)
        let uninterrupted = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: config, run: RLTrainerTests.run, demonstrations: Self.demos)
        for _ in 0..<4 { try uninterrupted.runIteration() }
        let first = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: config, run: RLTrainerTests.run, demonstrations: Self.demos)
        for _ in 0..<2 { try first.runIteration() }
        let path = dir + "/anchored.safetensors"
        try first.saveCheckpoint(to: path)
        let resumed = try RLTrainer.resume(from: path, demonstrations: Self.demos)
        for _ in 0..<2 { try resumed.runIteration() }
        #expect(resumed.policy.parameterValues().mapValues(\.scalars) == uninterrupted.policy.parameterValues().mapValues(\.scalars))
    }
}
