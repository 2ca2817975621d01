import FlowConfig
import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL
import FlowTestSupport
import Foundation
import Testing

/// FPO's ratios and losses (docs/algorithms.md §4.2) against the reference vectors, and its clamps.
@Suite struct FPOObjectiveTests {
    static func reference() throws -> (old: Tensor, new: Tensor, advantage: [Float], clip: Float, c: [String: Any]) {
        let c = try ReferenceVectors.objects("fpo")[0]
        let old = try c.matrix("loss_old"), new = try c.matrix("loss_new")
        let b = old.count, m = old[0].count
        // The reference's per-pair losses are whole-chunk losses: one action step per chunk here.
        return (Tensor(old.flatMap { $0 }, shape: [b, m, 1]), Tensor(new.flatMap { $0 }, shape: [b, m, 1]),
                try c.vector("advantage"), Float(try c.double("clip")), c)
    }

    @Test func perActionRatioAndPPOLossMatchTheReferenceVectors() throws {
        let (old, new, advantage, clip, c) = try Self.reference()
        var settings = FPOSettings.fpo
        settings.clip = clip
        let objective = FPOObjective(settings: settings, dualClip: nil)
        let ratio = objective.ratio(new: new, old: old, groups: 1)
        #expect(allClose(ratio.scalars, try c.vector("ratio_per_action")), "\(ratio.scalars)")
        let loss = objective.termLoss(ratio: ratio, advantage: Tensor(advantage, shape: [3, 1]))
        #expect(allClose(loss.scalars, try c.vector("ppo_loss_per_action")), "\(loss.scalars)")
    }

    @Test func perSampleRatioAndASPOLossMatchTheReferenceVectors() throws {
        let (old, new, advantage, clip, c) = try Self.reference()
        var settings = FPOSettings.fpoPlusPlus
        settings.clip = clip
        settings.trustRegion = .aspo
        let objective = FPOObjective(settings: settings, dualClip: nil)
        let ratio = objective.ratio(new: new, old: old, groups: 1)
        #expect(allClose(ratio.scalars, try c.matrix("ratio_per_sample").flatMap { $0 }), "\(ratio.scalars)")
        let loss = objective.termLoss(ratio: ratio, advantage: Tensor(advantage, shape: [3, 1, 1]))
        #expect(allClose(loss.scalars, try c.matrix("aspo_loss_per_sample").flatMap { $0 }), "\(loss.scalars)")
    }

    @Test func hugeCFMLossesStayFiniteAndTheLogRatioClampIsStraightThrough() throws {
        let objective = FPOObjective(settings: .fpoPlusPlus)
        // Pair 0: the new loss exploded (clamped at 20 → ratio e^(0−20)); pair 1: the old loss exploded
        // (log-ratio 20 − 0 clamped at 10 → ratio e^10); pair 2: ordinary.
        let old = Tensor([0, 1e30, 1.0], shape: [1, 3, 1])
        let (value, grads) = valueAndGrad(at: [Tensor([1e30, 0, 0.5], shape: [1, 3, 1])]) { x in
            objective.ratio(new: x[0], old: old, groups: 1).sum()
        }
        let r = objective.ratio(new: Tensor([1e30, 0, 0.5], shape: [1, 3, 1]), old: old, groups: 1).scalars
        #expect(value.item.isFinite)
        #expect(close(r[0], expf(-20)) && close(r[1], expf(10)) && close(r[2], expf(0.5)), "\(r)")
        let g = grads[0].scalars
        #expect(g.allSatisfy { $0.isFinite }, "\(g)")
        #expect(g[0] == 0, "a loss above the loss clamp carries no gradient")
        #expect(close(g[1], -expf(10)), "straight-through: d r/d ℓ_new = −r as if the log-ratio were not clamped (\(g[1]))")
        #expect(close(g[2], -expf(0.5)))
        // And the whole surrogate with a negative advantage stays finite too.
        let out = objective.loss(new: Tensor([1e30, 0, 0.5], shape: [1, 3, 1]), old: old,
                                 advantages: Tensor([-1], shape: [1, 1]), mask: Tensor.ones([1, 1]))
        #expect(out.loss.item.isFinite)
    }

    @Test func creditAssignmentGivesEveryActionStepItsOwnRatioAndMasksUnexecutedSteps() throws {
        let objective = FPOObjective(settings: .fpo, dualClip: nil)
        // 1 chunk, 2 pairs, 3 action steps; step 2 was never executed.
        let old = Tensor([1, 1, 1, 2, 2, 2], shape: [1, 2, 3])
        let new = Tensor([0.9, 1, 5, 1.9, 2, 5], shape: [1, 2, 3])
        let ratio = objective.ratio(new: new, old: old, groups: 3).scalars
        #expect(allClose(ratio, [expf(0.1), 1, expf(-3.5)]), "\(ratio)")
        let out = objective.loss(new: new, old: old, advantages: Tensor([1, -1, 100], shape: [1, 3]),
                                 mask: Tensor([1, 1, 0], shape: [1, 3]))
        // Step 0: −min(1.105·1, 1.05·1) = −1.05; step 1: −(1·−1) = 1; step 2 masked. Mean over 2 steps.
        #expect(close(out.loss.item, (-1.05 + 1) / 2), "\(out.loss.item)")
    }
}

/// Lyu et al.'s multi-step latent exploration (§4.3).
@Suite struct CorrelatedLatentNoiseTests {
    @Test(arguments: [Float(0.3), 0.8]) func successiveInitialNoisesHaveTheRequestedAutocorrelation(rho: Float) {
        var latent = CorrelatedLatentNoise(rho: rho, environments: 4, width: 50)
        var rng = RandomGenerator(seed: 5)
        var previous = latent.next(for: [0, 1, 2, 3], rng: &rng).scalars
        var sxy = 0.0, sxx = 0.0, syy = 0.0, count = 0.0
        for _ in 0..<500 {
            let x = latent.next(for: [0, 1, 2, 3], rng: &rng).scalars
            for (a, b) in zip(previous, x) { sxy += Double(a * b); sxx += Double(a * a); syy += Double(b * b) }
            count += Double(x.count)
            previous = x
        }
        let correlation = sxy / (sxx * syy).squareRoot()
        // 100 000 pairs: the estimate's standard error is below 0.004.
        #expect(abs(correlation - Double(rho)) < 0.02, "measured autocorrelation \(correlation) for ρ = \(rho)")
        #expect(abs(syy / count - 1) < 0.03, "the marginal stays standard normal (variance \(syy / count))")
    }

    @Test func rhoZeroReproducesIIDSamplingExactly() {
        var latent = CorrelatedLatentNoise(rho: 0, environments: 3, width: 6)
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        for _ in 0..<4 {
            #expect(latent.next(for: [0, 2], rng: &a).scalars == Tensor.randomNormal([2, 6], rng: &b).scalars)
        }
    }

    @Test func anEpisodeStartsFromFreshNoise() {
        var latent = CorrelatedLatentNoise(rho: 0.9, environments: 2, width: 4)
        var a = RandomGenerator(seed: 1), b = RandomGenerator(seed: 1)
        _ = latent.next(for: [0, 1], rng: &a)
        _ = Tensor.randomNormal([2, 4], rng: &b)
        latent.endEpisode(of: 1)
        let x = latent.next(for: [1], rng: &a).scalars
        #expect(x == Tensor.randomNormal([1, 4], rng: &b).scalars)
    }
}

/// The Q-ensemble's pessimistic values (§4.3).
@Suite struct EnsemblePessimismTests {
    @Test func meanMinusStdAndMinOfRandomPair() {
        var rng = RandomGenerator(seed: 2)
        let heads: [Float] = [1, 2, 3, 6]
        let variance: Double = (4 + 1 + 0 + 9) / 4  // mean 3
        let std = Float(variance.squareRoot())
        #expect(close(EnsemblePessimism.meanMinusStd(beta: 0.5).value(heads: heads[...], rng: &rng), 3 - 0.5 * std))
        var seen = Set<Float>()
        for _ in 0..<200 {
            let v = EnsemblePessimism.minOfRandomPair.value(heads: heads[...], rng: &rng)
            seen.insert(v)
        }
        // The minimum of two distinct heads is never the largest head.
        #expect(seen == [1, 2, 3], "\(seen)")
        #expect(EnsemblePessimism.minOfRandomPair.value(heads: [4][...], rng: &rng) == 4)
    }
}

/// FPO inside the trainer.
@Suite struct FPOTrainerTests {
    static func config(_ adjust: (inout RLConfig) -> Void = { _ in }) -> RLConfig {
        var c = RLTrainerTests.config(.fpo)
        adjust(&c)
        return c
    }

    static let variants: [(String, @Sendable (inout RLConfig) -> Void)] = [
        ("fpo", { _ in }),
        ("fpo++", { $0.algo = .fpoPlusPlus }),
        ("fpo++ aspo", { $0.algo = .fpoPlusPlus; $0.aspo = true }),
        ("credit assignment", { $0.algo = .fpoLyu; $0.latentExploration = false; $0.qEnsemble = false }),
        ("latent exploration", { $0.latentExploration = true; $0.latentRho = 0.5 }),
        ("q-ensemble", {
            $0.algo = .fpoLyu; $0.creditAssignment = false; $0.latentExploration = false
            $0.ensembleSize = 3; $0.ensemblePessimism = .minOfTwo
        }),
        ("all of Lyu's components, summed loss", { $0.algo = .fpoLyu; $0.latentRho = 0.5; $0.ensembleSize = 3; $0.fpoLossDims = .sum }),
        ("flow-sde rollouts", { $0.sdeSchedule = .allSteps; $0.fpoRolloutSampler = .flowSDE }),
    ]

    @Test(arguments: 0..<variants.count) func ratioIsExactlyOneOnTheFirstMinibatchOfEveryUpdate(variant: Int) throws {
        let (name, adjust) = Self.variants[variant]
        let trainer = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: Self.config(adjust), run: RLTrainerTests.run)
        let before = trainer.policy.parameterValues().mapValues(\.scalars)
        for _ in 0..<2 {
            let m = try trainer.runIteration()
            #expect(m["first_minibatch_ratio_deviation"] == 0, "\(name): \(m["first_minibatch_ratio_deviation"] ?? -1)")
            #expect(m["update_skipped"] == nil, "\(name)")
            #expect(m["policy_loss"]?.isFinite == true, "\(name)")
        }
        let changed = trainer.policy.parameterValues().mapValues(\.scalars) != before
        #expect(changed, "\(name): the update did not change the policy")
    }

    @Test func latentExplorationWithRhoZeroReproducesIIDRollouts() throws {
        let iid = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: Self.config(), run: RLTrainerTests.run)
        let rhoZero = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle",
                                    config: Self.config { $0.latentExploration = true; $0.latentRho = 0 }, run: RLTrainerTests.run)
        for _ in 0..<2 {
            try iid.runIteration()
            try rhoZero.runIteration()
        }
        let same = iid.policy.parameterValues().mapValues(\.scalars) == rhoZero.policy.parameterValues().mapValues(\.scalars)
        #expect(same, "ρ = 0 must give the i.i.d. run bit for bit")
    }

    @Test func qEnsembleMembersDifferAfterTraining() throws {
        let trainer = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle",
                                    config: Self.config { $0.algo = .fpoLyu; $0.ensembleSize = 4 }, run: RLTrainerTests.run)
        for _ in 0..<3 { try trainer.runIteration() }
        let critic = trainer.critic!
        #expect(critic.heads.count == 4)
        var rng = RandomGenerator(seed: 4)
        let input = Tensor.randomNormal([32, critic.heads[0].layers[0].weight.value.shape[1]], rng: &rng)
        let values = critic.allHeads(input)
        for e in 1..<4 {
            let a = values.slice(axis: 0, 0..<1).scalars, b = values.slice(axis: 0, e..<(e + 1)).scalars
            let gap = zip(a, b).map { abs($0 - $1) }.max()!
            #expect(gap > 1e-3, "head \(e) predicts like head 0 (max gap \(gap))")
        }
    }

    @Test func creditAssignmentNeedsACriticThatCanValueEveryStep() throws {
        let c = Self.config { $0.algo = .fpoLyu; $0.criticPlacement = .velocityHead }
        #expect(throws: ConfigError.self) { _ = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: c, run: RLTrainerTests.run) }
    }
}

/// Step-level GAE for credit assignment (§4.3) on a hand-built rollout.
@Suite struct StepLevelGAETests {
    @Test func everyExecutedStepGetsItsOwnAdvantageAndUnexecutedStepsNone() throws {
        // One environment, two decisions of H = 3; the episode terminates after the second decision's
        // second step. Zero values and λ = 1: a step's advantage is its discounted reward-to-go.
        let gamma: Float = 0.9
        var rollout = Rollout(
            observations: [0, 0], taskIndices: [0, 0], record: nil, logDensity: nil, fpo: nil,
            velocityFeatures: Tensor.zeros([2, 1]), valueHeads: 1, headValues: [0, 0], headBootstrapValues: [0, 0],
            rewards: [0, 0], discounts: [0, 0], sequenceEnds: [false, true], environments: [0, 0],
            steps: ExecutedSteps(chunkLength: 3, observations: [Float](repeating: 0, count: 6),
                                 rewards: [1, 0, 0, 0, 2, 0], executed: [3, 2]))
        var rng = RandomGenerator(seed: 0)
        rollout.computeGAE(lambda: 1, gamma: gamma, pessimism: .meanMinusStd(beta: 1),
                           stepHeadValues: [Float](repeating: 0, count: 6), observationDim: 1, rng: &rng)
        let expected: [Float] = [1 + gamma * gamma * gamma * gamma * 2, gamma * gamma * gamma * 2, gamma * gamma * 2, gamma * 2, 2, 0]
        #expect(allClose(rollout.stepAdvantages!, expected), "\(rollout.stepAdvantages!)")
        #expect(rollout.valueTargets!.returns.count == 5, "one critic row per executed step")
        #expect(rollout.steps!.mask == [1, 1, 1, 1, 1, 0])
    }

    @Test func aQEnsembleUsesPessimisticValuesForAdvantagesAndTheMeanForTargets() throws {
        // One decision, terminated after one step with reward 1; heads value it at 0 and 2.
        var rollout = Rollout(
            observations: [0], taskIndices: [0], record: nil, logDensity: nil, fpo: nil,
            velocityFeatures: Tensor.zeros([1, 1]), valueHeads: 2, headValues: [0, 2], headBootstrapValues: [0, 0],
            rewards: [1], discounts: [0.99], sequenceEnds: [true], environments: [0], steps: nil)
        var rng = RandomGenerator(seed: 0)
        rollout.computeGAE(lambda: 0.95, gamma: 0.99, pessimism: .meanMinusStd(beta: 1), stepHeadValues: nil,
                           observationDim: 1, rng: &rng)
        #expect(close(rollout.advantages[0], 1), "pessimistic value mean − std = 0, so δ = 1")
        #expect(close(rollout.valueTargets!.returns[0], 1), "targets: advantage under the mean value (0) + mean (1)")
        #expect(close(Float(rollout.ensembleDisagreement), 1))
    }
}
