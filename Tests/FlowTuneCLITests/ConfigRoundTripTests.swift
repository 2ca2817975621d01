import FlowTestSupport
import FlowTuneCLI
import Foundation
import Testing

@Suite struct ConfigRoundTripTests {
    @Test func defaultConfigSavedAsYAMLReloadsToAnEqualConfig() throws {
        let config = FlowTuneConfig()
        let reloaded = try FlowTuneConfig.load(yaml: config.yaml())
        #expect(reloaded == config)
    }

    @Test func configWithEveryKindOfValueSurvivesTheYAMLRoundTrip() throws {
        var config = FlowTuneConfig()
        // Strings that YAML would read as something else, or that need escapes.
        for name in ["yes", "123", "null", "a: b # c", "quote\"and\\slash", "tab\there", "日本語 run", "-dash", "1e-5"] {
            config.run.name = name
            config.env.id = name == "123" ? "push" : name
            #expect(try FlowTuneConfig.load(yaml: config.yaml()) == config, "string \(name)")
        }
        config.run.name = "fpo-ablation"
        config.run.seed = 12_345
        config.env.shapedReward = true
        config.demos.path = "demos/push 10.safetensors"
        config.policy.encoderWidths = [512, 128, 64]
        config.policy.conditioning = .concat
        config.policy.activation = .silu
        config.sft.emaDecay = 0.9995
        config.sft.lr = 3.0e-6
        config.rl.algo = .fpoPlusPlus
        config.rl.actorLR = 1.0e-5
        config.rl.klTarget = 0.015
        config.rl.dualClip = nil
        config.rl.gradClip = nil
        config.rl.tauSampling = .continuous
        config.rl.fpoSamples = 16
        config.rl.noiseNetWidths = []
        config.rl.criticPlacement = .velocityHead
        config.rl.ensemblePessimism = .minOfTwo
        config.rl.huberDelta = 1e300
        config.rl.latentRho = 0.1 + 0.2      // 0.30000000000000004: needs all 17 digits
        config.eval.sampler = .both
        let yaml = config.yaml()
        let reloaded = try FlowTuneConfig.load(yaml: yaml)
        #expect(reloaded == config, "\(yaml)")
        #expect(try FlowTuneConfig.load(yaml: config.yaml(comments: false)) == config)
    }

    @Test func effectiveConfigSavedInTheRunDirectoryReloadsToTheSameConfig() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let file = root + "/push.yaml"
        try "env:\n  id: push\nrl:\n  algo: flow-noise\n".write(toFile: file, atomically: true, encoding: .utf8)
        let config = try FlowTuneConfig.load(file: file, overrides: ["rl.iterations=7", "run.output_dir=\(root)/runs",
                                                                     "policy.encoder_widths=[64, 64]"])
        let run = try RunDirectory.create(for: config)
        try run.writeConfig(config, command: "flowtune train --config \(file)")
        let reloaded = try RunDirectory.open(run.path).loadConfig()
        #expect(reloaded == config)
        #expect(reloaded.rl.iterations == 7 && reloaded.rl.algo == .flowNoise && reloaded.env.id == "push")
        #expect(readText(run.configPath).contains("# Command: flowtune train --config"))
    }

    @Test func savedYAMLDocumentsEveryKnobAndWritesFloatsThatYAML11ReadersParseAsFloats() {
        var config = FlowTuneConfig()
        config.rl.actorLR = 1e-5  // a value that needs an exponent
        let yaml = config.yaml()
        #expect(yaml.contains("actor_lr: 1.0e-05"))
        #expect(yaml.contains("# AdamW learning rate of the velocity network"))
        #expect(yaml.contains("algo: flow-sde"))
        #expect(yaml.contains("[one of flow-sde, flow-noise, fpo, fpo++, fpo-lyu, grpo]"))
        #expect(yaml.contains("gamma: 0.99"))
        #expect(yaml.contains("[between 0 and 1]"))
        #expect(yaml.contains("rl:") && yaml.contains("\n  clip_low: 0.2"))
        // Every knob appears as a key line with a comment.
        let keyLines = yaml.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains(":") }
        #expect(keyLines.count == FlowTuneConfig.leafPaths.count + FlowTuneConfig.fields.count)
        #expect(keyLines.allSatisfy { $0.contains("# ") })
    }
}
