import FlowConfig
import FlowRL
import FlowTestSupport
import FlowTuneCLI
import Foundation
import Testing

@Suite struct ConfigValidationTests {
    @Test func unknownKeyErrorNamesThePathTheSectionsKnownKeysAndTheClosestName() throws {
        let error = configError { _ = try FlowTuneConfig.load(yaml: "rl:\n  actor_lrr: 1e-5\n") }
        guard case let .unknownKey(path, section, known, suggestion)? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(path == "rl.actor_lrr")
        #expect(section == "rl")
        #expect(known == RLConfig.fields.map(\.key))
        #expect(suggestion == "rl.actor_lr")
        let text = error!.description
        #expect(text.contains("'rl.actor_lrr'") && text.contains("did you mean 'rl.actor_lr'?"))
        #expect(text.contains("section 'rl' accepts: algo, iterations, rollout_steps"))
    }

    @Test func unknownKeyInAnotherSpellingStyleSuggestsTheSnakeCaseKey() {
        let error = configError { _ = try FlowTuneConfig.load(yaml: "env:\n  numEnvs: 8\n") }
        guard case let .unknownKey(_, _, _, suggestion)? = error else { return }
        #expect(suggestion == "env.num_envs")
    }

    @Test func knobPutAtTheTopLevelSuggestsTheSectionThatHasIt() {
        let error = configError { _ = try FlowTuneConfig.load(yaml: "", overrides: ["gae_lambda=0.9"]) }
        guard case let .unknownKey(path, section, known, suggestion)? = error else { return }
        #expect(path == "gae_lambda" && section == "")
        #expect(known == ["run", "env", "demos", "policy", "sft", "rl", "eval"])
        #expect(suggestion == "rl.gae_lambda")
        #expect(error!.description.contains("the top level accepts: run, env, demos"))
    }

    @Test func theKLAdaptiveActorRateNeedsAKLTarget() throws {
        #expect(try FlowTuneConfig.load(yaml: "", overrides: ["rl.actor_lr_schedule=kl-adaptive"]).rl.adaptiveActorLearningRate)
        let error = configError { _ = try FlowTuneConfig.load(yaml: "", overrides: ["rl.actor_lr_schedule=kl-adaptive", "rl.kl_target=null"]) }
        #expect(error?.description.contains("kl_target") == true)
    }

    @Test func adamBetasReachTheTrainersConfig() throws {
        let rl = try FlowTuneConfig.load(yaml: "", overrides: ["rl.adam_beta1=0.8", "rl.adam_beta2=0.99"]).rl
        #expect(rl.adamBeta1 == 0.8 && rl.adamBeta2 == 0.99)
    }

    @Test func theTrainingTimeLimitReachesTheTrainerAndTheEnvironmentsLimitIsStillRefused() throws {
        #expect(try FlowTuneConfig.load(yaml: "", overrides: ["rl.max_episode_steps=150"]).rl.maxEpisodeSteps == 150)
        #expect(try FlowTuneConfig.load(yaml: "").rl.maxEpisodeSteps == nil)
        #expect(configError { _ = try FlowTuneConfig.load(yaml: "", overrides: ["rl.max_episode_steps=0"]) } != nil)
        #expect(configError { _ = try FlowTuneConfig.load(yaml: "", overrides: ["env.max_episode_steps=150"]) }?
            .description.contains("rl.max_episode_steps") == true)
    }

    @Test func everyListedCriticAndNoiseNetworkWidthReachesTheTrainer() throws {
        let config = try FlowTuneConfig.load(yaml: "", overrides: ["rl.critic_widths=[40, 30, 20]", "rl.noise_net_widths=[24]"])
        #expect(config.rl.criticWidths == [40, 30, 20])
        #expect(config.rl.noiseNetwork.widths == [24])
    }

    @Test func theDenoisedClipIsAutoANumberOrNullAndNothingElse() throws {
        #expect(try FlowTuneConfig.load(yaml: "").policy.denoisedClip == .auto)
        #expect(try FlowTuneConfig.load(yaml: "", overrides: ["policy.denoised_clip=4"]).policy.denoisedClip == .bound(4))
        #expect(try FlowTuneConfig.load(yaml: "", overrides: ["policy.denoised_clip=null"]).policy.denoisedClip == .off)
        let negative = configError { _ = try FlowTuneConfig.load(yaml: "", overrides: ["policy.denoised_clip=-2"]) }
        #expect(negative?.description.contains("policy.denoised_clip") == true)
        let word = configError { _ = try FlowTuneConfig.load(yaml: "policy:\n  denoised_clip: big\n") }
        #expect(word?.description.contains("auto, null or a number") == true)
    }

    @Test func unknownKeyFarFromAnyNameHasNoSuggestion() {
        let error = configError { _ = try FlowTuneConfig.load(yaml: "policy:\n  banana: 3\n") }
        guard case let .unknownKey(_, _, _, suggestion)? = error else { return }
        #expect(suggestion == nil)
        #expect(!error!.description.contains("did you mean"))
    }

    @Test(arguments: [
        ("env:\n  num_envs: many\n", "env.num_envs", "an integer", "'many'"),
        ("env:\n  num_envs: 2.5\n", "env.num_envs", "an integer", "'2.5'"),
        ("env:\n  num_envs: \"8\"\n", "env.num_envs", "an integer", "the string \"8\""),
        ("env:\n  num_envs: null\n", "env.num_envs", "an integer", "null"),
        ("rl:\n  gamma: high\n", "rl.gamma", "a finite number", "'high'"),
        ("rl:\n  gamma: .inf\n", "rl.gamma", "a finite number", "'.inf'"),
        ("run:\n  tensorboard: maybe\n", "run.tensorboard", "true or false", "'maybe'"),
        ("policy:\n  encoder_widths: 256\n", "policy.encoder_widths", "a list of integers", "'256'"),
        ("policy:\n  encoder_widths: [256, wide]\n", "policy.encoder_widths[1]", "an integer", "'wide'"),
        ("run:\n  name: [a, b]\n", "run.name", "a string or null", "a list [a, b]"),
        ("rl: 5\n", "rl", "a mapping (section) with keys algo, iterations", "'5'"),
        ("- 1\n- 2\n", "", "a mapping (section) with keys run, env", "a list [1, 2]"),
    ])
    func wrongTypeErrorNamesTheKeyTheExpectedTypeAndTheValue(yaml: String, path: String, expected: String, got: String) {
        let error = configError { _ = try FlowTuneConfig.load(yaml: yaml) }
        guard case let .wrongType(actualPath, actualExpected, actualGot)? = error else {
            Issue.record("\(yaml): got \(String(describing: error))")
            return
        }
        #expect(actualPath == path)
        #expect(actualExpected.hasPrefix(expected))
        #expect(actualGot == got)
        #expect(error!.description.contains("must be \(expected)"))
    }

    @Test(arguments: [
        ("rl.gamma=1.5", "rl.gamma", "1.5", "between 0 and 1"),
        ("env.num_envs=0", "env.num_envs", "0", "between 1 and 65536"),
        ("rl.actor_lr=0", "rl.actor_lr", "0.0", "greater than 0 and at most 1"),
        ("rl.clip_low=1", "rl.clip_low", "1.0", "greater than 0 and less than 1"),
        ("rl.kl_target=-1", "rl.kl_target", "-1.0", "null or greater than 0"),
        ("sft.held_out_fraction=1", "sft.held_out_fraction", "1.0", "at least 0 and less than 1"),
        ("policy.encoder_widths=[256, 0]", "policy.encoder_widths[1]", "0", "between 1 and 65536"),
        ("policy.denoising_steps=1", "policy.denoising_steps", "1", "between 2 and 256"),
        ("policy.time_embedding_dim=33", "policy.time_embedding_dim", "33", "an even number"),
        ("run.name=a/b", "run.name", "\"a/b\"", "a non-empty directory name"),
    ])
    func outOfRangeErrorNamesTheKeyAndTheAllowedRange(override: String, path: String, value: String, allowed: String) {
        let error = configError { _ = try FlowTuneConfig.load(yaml: "", overrides: [override]) }
        guard case let .outOfRange(actualPath, actualValue, actualAllowed)? = error else {
            Issue.record("\(override): got \(String(describing: error))")
            return
        }
        #expect(actualPath == path)
        #expect(actualValue == value)
        #expect(actualAllowed.hasPrefix(allowed))
        #expect(error!.description.contains("'\(path)' is \(value), but it must be \(allowed)"))
    }

    @Test func valueOutsideAnEnumerationListsTheAllowedValues() {
        let error = configError { _ = try FlowTuneConfig.load(yaml: "rl:\n  algo: ppo\n") }
        guard case let .notAllowed(path, value, allowed, _)? = error else { return }
        #expect(path == "rl.algo" && value == "ppo")
        #expect(allowed == ["flow-sde", "flow-noise", "fpo", "fpo++", "fpo-lyu", "grpo"])
        #expect(error!.description.contains("allowed values: flow-sde, flow-noise, fpo, fpo++, fpo-lyu, grpo."))
        let typo = configError { _ = try FlowTuneConfig.load(yaml: "rl:\n  algo: flow-sd\n") }
        guard case let .notAllowed(_, _, _, suggestion)? = typo else { return }
        #expect(suggestion == "flow-sde")
    }

    @Test func enumerationsForgiveCaseAndUnderscores() throws {
        let config = try FlowTuneConfig.load(yaml: "rl:\n  algo: Flow_Noise\n  critic_placement: OBS_HEAD\n")
        #expect(config.rl.algo == .flowNoise)
        #expect(config.rl.criticPlacement == .obsHead)
    }

    @Test func numbersAndBooleansAcceptTheUsualYAMLSpellings() throws {
        let config = try FlowTuneConfig.load(yaml: """
            rl:
              rollout_steps: 1e2
              iterations: 1_000
              actor_lr: 5e-6
              gamma: 1
              aspo: yes
              q_ensemble: off
            """)
        #expect(config.rl.rolloutSteps == 100)
        #expect(config.rl.iterations == 1000)
        #expect(config.rl.actorLR == 5e-6)
        #expect(config.rl.gamma == 1.0)
        #expect(config.rl.aspo && !config.rl.qEnsemble)
    }

    @Test func emptySectionsAndEmptyFilesMeanDefaults() throws {
        #expect(try FlowTuneConfig.load(yaml: "") == FlowTuneConfig())
        #expect(try FlowTuneConfig.load(yaml: "rl:\nenv:\n") == FlowTuneConfig())
        #expect(try FlowTuneConfig.load(yaml: "# only a comment\n") == FlowTuneConfig())
    }

    @Test func settingsThatDoNotFitTogetherAreRejectedNamingBothKeys() {
        let cases: [([String], [String])] = [
            (["rl.sigma_min=0.2"], ["rl.sigma_min", "rl.sigma_max"]),
            (["rl.algo=grpo", "env.num_envs=30"], ["env.num_envs", "rl.grpo_group_size"]),
            (["rl.minibatch_size=4096"], ["rl.minibatch_size", "env.num_envs"]),
            (["sft.steps=50"], ["sft.warmup_steps", "sft.steps"]),
            (["env.max_episode_steps=77"], ["env.max_episode_steps"]),
        ]
        for (overrides, expectedPaths) in cases {
            let error = configError { _ = try FlowTuneConfig.load(yaml: "", overrides: overrides) }
            guard case let .inconsistent(paths, _)? = error else {
                Issue.record("\(overrides): got \(String(describing: error))")
                continue
            }
            #expect(paths == expectedPaths)
        }
        #expect(throws: Never.self) { _ = try FlowTuneConfig.load(yaml: "", overrides: ["rl.algo=grpo", "env.num_envs=32"]) }
    }

    @Test func aKeyGivenTwiceInOneSectionIsRejected() {
        let error = configError { _ = try FlowTuneConfig.load(yaml: "rl:\n  gamma: 0.9\n  gamma: 0.8\n") }
        #expect(error == .duplicateKey(path: "rl.gamma"))
    }

    @Test func invalidYAMLReportsTheSourceAndLine() {
        let error = configError { _ = try FlowTuneConfig.load(yaml: "rl:\n  gamma: 0.9\n bad: [1, 2\n", source: "configs/x.yaml") }
        guard case let .invalidYAML(source, line, _)? = error else { return }
        #expect(source == "configs/x.yaml")
        #expect(line != nil)
        #expect(error!.description.hasPrefix("configs/x.yaml is not valid YAML at line"))
    }

    @Test func missingConfigFileSaysToCheckThePath() {
        let error = configError { _ = try FlowTuneConfig.load(file: "/nonexistent/flowtune.yaml") }
        #expect(error == .unreadableFile(path: "/nonexistent/flowtune.yaml", reason: "no such file"))
        #expect(error?.description.contains("check the path given to --config") == true)
    }

    @Test func everyErrorDescriptionIsOneSentenceThatEndsWithAPeriod() {
        let errors: [ConfigError] = [
            .unknownKey(path: "rl.x", section: "rl", knownKeys: ["a", "b"], suggestion: "rl.a"),
            .wrongType(path: "rl.gamma", expected: "a finite number", got: "'x'"),
            .outOfRange(path: "rl.gamma", value: "2", allowed: "between 0 and 1"),
            .notAllowed(path: "rl.algo", value: "ppo", allowed: ["fpo"], suggestion: nil),
            .duplicateKey(path: "rl.gamma"),
            .inconsistent(paths: ["a", "b"], message: "a is above b; lower a."),
            .invalidOverride(override: "x", reason: "there is no '='"),
            .invalidYAML(source: "f.yaml", line: 3, message: "mapping values are not allowed here"),
            .unreadableFile(path: "f.yaml", reason: "no such file"),
        ]
        for error in errors {
            let text = error.description
            #expect(text.hasSuffix("."), "\(text)")
            #expect(!text.contains("\n"), "\(text)")
            #expect(text.first?.isUppercase == true || text.first == "f", "\(text)")
        }
    }
}
