import FlowNN
import FlowRL
import FlowTestSupport
import Testing

/// GAE, chunk reward, GRPO and the PPO losses against the reference vectors.
@Suite struct AdvantageReferenceTests {
    @Test func gaeMatchesReferenceVectorWithAnEpisodeEndInsideTheBatch() throws {
        let c = try ReferenceVectors.objects("gae")[0]
        let (adv, ret) = GAE.textbook(rewards: try c.vector("rewards"), values: try c.vector("values"),
                                      dones: try c.vector("dones").map { $0 != 0 }, lastValue: Float(try c.double("last_value")),
                                      gamma: Float(try c.double("gamma")), lambda: Float(try c.double("lambda")))
        #expect(allClose(adv, try c.vector("advantages")))
        #expect(allClose(ret, try c.vector("returns")))
    }

    @Test func chunkRewardMatchesReferenceVector() throws {
        let c = try ReferenceVectors.objects("chunk_reward")[0]
        let (r, discount) = RewardDiscounting.perEnvironmentStep.chunkReward(try c.vector("env_rewards"), gamma: Float(try c.double("gamma")))
        #expect(close(r, Float(try c.double("chunk_reward"))))
        #expect(close(discount, Float(try c.double("gamma_between_decisions"))))
        let (sum, g) = RewardDiscounting.perDecision.chunkReward(try c.vector("env_rewards"), gamma: 0.99)
        #expect(close(sum, try c.vector("env_rewards").reduce(0, +)) && g == 0.99)
    }

    @Test func grpoAdvantagesMatchReferenceVectorIncludingAnAllEqualGroup() throws {
        let c = try ReferenceVectors.objects("grpo")[0]
        let returns = try c.matrix("returns"), expected = try c.matrix("advantages")
        for (g, e) in zip(returns, expected) {
            #expect(allClose(GroupRelativeAdvantage.compute(groupReturns: g, eps: Float(try c.double("eps"))), e, rtol: 1e-4, atol: 1e-5))
        }
    }

    @Test func ppoClipAndDualClipLossesMatchReferenceVector() throws {
        let c = try ReferenceVectors.objects("ppo_loss")[0]
        let r = Tensor(try c.vector("ratio")), a = Tensor(try c.vector("advantage"))
        let clip = Float(try c.double("clip"))
        let plain = ClippedSurrogate(clipLow: clip, clipHigh: clip, dualClip: nil).loss(ratio: r, advantage: a)
        #expect(allClose(plain.scalars, try c.vector("loss_per_sample_clip")))
        let dual = ClippedSurrogate(clipLow: clip, clipHigh: clip, dualClip: Float(try c.double("dual_clip_c"))).loss(ratio: r, advantage: a)
        #expect(allClose(dual.scalars, try c.vector("loss_per_sample_dual_clip")))
        #expect(close(dual.mean().item, Float(try c.double("loss_mean_dual_clip"))))
    }

    @Test func generalisedGAEWithShortChunksBootstrapsWithTheChunksOwnDiscount() {
        // Two decisions; the first executed 2 steps (discount γ²), the second was cut by the rollout
        // end and bootstraps from the value after it.
        let g: Float = 0.9
        let (adv, _) = GAE.compute(rewards: [1, 2], discounts: [g * g, g], values: [0.5, 0.25], bootstrapValues: [0.25, 4],
                                   sequenceEnds: [false, true], lambda: 1)
        let a1 = 2 + g * 4 - 0.25
        let a0 = 1 + g * g * 0.25 - 0.5 + g * g * a1
        #expect(abs(adv[1] - a1) < 1e-5 && abs(adv[0] - a0) < 1e-5)
    }

    @Test func perTaskNormalisationGivesEveryTaskZeroMeanUnitStd() {
        // Task 1's spread is a hundredth of task 0's: batch normalisation leaves it near zero, per-task
        // normalisation gives both tasks the same scale.
        let a: [Float] = [1, 2, 3, 10, 0.01, 0.03, 0.02, 0.05], tasks = [0, 0, 0, 0, 1, 1, 1, 1]
        let perTask = normalizeAdvantages(a, groups: tasks)
        for task in 0..<2 {
            let members = perTask.indices.filter { tasks[$0] == task }.map { perTask[$0] }
            let mean = members.reduce(0, +) / Float(members.count)
            let std = (members.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(members.count)).squareRoot()
            #expect(abs(mean) < 1e-5 && abs(std - 1) < 1e-4, "task \(task): mean \(mean), std \(std)")
        }
        #expect(perTask[4..<8].map { abs($0) }.max()! > 1)
        #expect(normalizeAdvantages(a).suffix(4).map { abs($0) }.max()! < 0.8)
        #expect(normalizeAdvantages(a, groups: [Int](repeating: 3, count: a.count)) == normalizeAdvantages(a))
    }

    @Test func advantageNormalisationGivesZeroMeanUnitStd() {
        let a = normalizeAdvantages([1, 2, 3, 4, 10])
        let mean = a.reduce(0, +) / 5
        let std = (a.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5).squareRoot()
        #expect(abs(mean) < 1e-6 && abs(std - 1) < 1e-5)
    }
}
