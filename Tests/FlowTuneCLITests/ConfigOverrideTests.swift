import FlowTestSupport
import FlowConfig
import FlowTuneCLI
import Foundation
import Testing

@Suite struct ConfigOverrideTests {
    static let file = """
        run:
          seed: 3
        rl:
          algo: fpo
          gamma: 0.97
        """

    @Test func overridesApplyInOrderAndWinOverTheFile() throws {
        let config = try FlowTuneConfig.load(yaml: Self.file, overrides: ["rl.gamma=0.9", "run.seed=4", "rl.gamma=0.95"])
        #expect(config.rl.gamma == 0.95)
        #expect(config.run.seed == 4)
        #expect(config.rl.algo == .fpo)
    }

    @Test func overrideValuesAreParsedAsYAMLScalarsAndLists() throws {
        let config = try FlowTuneConfig.load(yaml: Self.file, overrides: [
            "policy.encoder_widths=[512, 512,128]",
            "rl.actor_lr=2e-6",
            "rl.kl_target=0.02",
            "rl.dual_clip=null",
            "rl.grad_clip=",
            "run.name=\"007\"",
            "env.id=pick-place",
            "rl.algo=fpo++",
        ])
        #expect(config.policy.encoderWidths == [512, 512, 128])
        #expect(config.rl.actorLR == 2e-6)
        #expect(config.rl.klTarget == 0.02)
        #expect(config.rl.dualClip == nil)
        #expect(config.rl.gradClip == nil)
        #expect(config.run.name == "007")
        #expect(config.env.id == "pick-place")
        #expect(config.rl.algo == .fpoPlusPlus)
    }

    @Test func overridesCreateSectionsTheFileDoesNotHave() throws {
        let config = try FlowTuneConfig.load(yaml: "", overrides: ["eval.episodes=500", "demos.expert_noise=0"])
        #expect(config.eval.episodes == 500)
        #expect(config.demos.expertNoise == 0)
    }

    @Test func overrideOfAnUnknownKeyIsRejectedAsInAFile() {
        let error = configError { _ = try FlowTuneConfig.load(yaml: Self.file, overrides: ["rl.gama=0.9"]) }
        guard case let .unknownKey(path, _, _, suggestion)? = error else { return }
        #expect(path == "rl.gama")
        #expect(suggestion == "rl.gamma")
    }

    @Test func overrideIsValidatedAfterTheFileSoAnOverrideCanFixAnInvalidFile() throws {
        let config = try FlowTuneConfig.load(yaml: "rl:\n  gamma: 7\n", overrides: ["rl.gamma=0.9"])
        #expect(config.rl.gamma == 0.9)
    }

    @Test(arguments: ["rl.gamma", "=0.9", "rl..gamma=0.9", ".rl=1", "rl gamma=1", "rl.algo.clip=1"])
    func malformedOverridesAreRejectedWithTheExpectedForm(text: String) {
        let error = configError { _ = try FlowTuneConfig.load(yaml: Self.file, overrides: [text]) }
        guard case let .invalidOverride(override, _)? = error else {
            Issue.record("\(text): got \(String(describing: error))")
            return
        }
        #expect(override == text)
        #expect(error!.description.contains("--set key.path=value"))
    }

    @Test func overrideParsesIntoPathAndValue() throws {
        let o = try ConfigOverride(parsing: "policy.encoder_widths=[1, 2]")
        #expect(o.path == ["policy", "encoder_widths"])
        #expect(o.value == .list([.scalar("1"), .scalar("2")]))
        #expect(try ConfigOverride(parsing: "run.name='x y'").value == .scalar("x y", style: .quoted))
        #expect(try ConfigOverride(parsing: "run.name=a=b").value == .scalar("a=b"))
    }
}
