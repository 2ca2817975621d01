import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL
import Testing

/// The diagnostic advantage replacements: what they compute, and that they reach the policy loss
/// while the critic keeps learning from the real returns.
@Suite struct AdvantageDiagnosticTests {
    @Test func eachReplacementComputesWhatItsNameSays() {
        let a: [Float] = [-1.5, 0, 0.25, 2]
        #expect(RLConfig.DiagnosticAdvantages.one.apply(a) == [1, 1, 1, 1])
        #expect(RLConfig.DiagnosticAdvantages.zero.apply(a) == [0, 0, 0, 0])
        #expect(RLConfig.DiagnosticAdvantages.positivePart.apply(a) == [0, 0, 0.25, 2])
    }

    @Test(arguments: [RLConfig.Algorithm.flowSDE, .fpo])
    func zeroAdvantagesLeaveThePolicyUnchangedWhileTheCriticLearns(algorithm: RLConfig.Algorithm) throws {
        var c = RLTrainerTests.config(algorithm)
        c.diagnosticAdvantages = .zero
        c.weightDecay = 0  // decoupled weight decay would move the policy without any gradient
        let trainer = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: c, run: RLTrainerTests.run)
        try RLTrainerTests.expectOnlyTheCriticChangesInOneIteration(trainer)
    }

    @Test func unitAdvantagesMoveThePolicyTowardItsOwnSamples() throws {
        // With every advantage 1, FPO's loss only rewards lowering the CFM loss of the sampled chunks:
        // the ratios of the last epoch lean above 1.
        var c = RLTrainerTests.config(.fpo)
        c.diagnosticAdvantages = .one
        c.klTarget = nil
        let trainer = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: c, run: RLTrainerTests.run)
        let m = try trainer.runIteration()
        #expect((m["ratio_mean"] ?? 0) > 1, "mean FPO ratio \(m["ratio_mean"] ?? .nan)")
        #expect((m["policy_loss"] ?? 0) < -0.9, "policy loss \(m["policy_loss"] ?? .nan) is −mean(min(r, 1 + ε))")
    }
}
