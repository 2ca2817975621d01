import FlowEnvs
import FlowTuneCLI
import Foundation
import Testing

/// Every accepted key has its effect: set to a legal value other than its default, it changes what
/// the CLI hands to the libraries (the `rl` and `sft` sections, which are FlowRL's `RLConfig` and
/// `SFTConfig`, the `RLRun`, the policy and noise-network configs, the demonstration collector, the
/// worker placement, the final evaluation), or, for the keys the run pipeline itself consumes, what a run
/// writes (`PipelineKeyEffectTests`). A key in neither table fails `everyKeyIsInExactlyOneTable`, so
/// a new knob cannot be accepted and ignored.
@Suite struct ConfigEffectTests {
    /// One row: the key, a legal non-default value, and the overrides that make the key matter
    /// (FPO's knobs need an FPO method).
    struct Row: CustomStringConvertible {
        var key: String
        var value: String
        var context: [String] = []
        var description: String { "\(key)=\(value)" + (context.isEmpty ? "" : " with \(context.joined(separator: ", "))") }
    }

    static let fpo = ["rl.algo=fpo"]
    static let lyu = ["rl.algo=fpo-lyu"]
    static let bridge = ["env.id=metaworld/reach-v3", "env.num_envs=16"]

    /// The keys whose effect is on a library config.
    static let libraryRows: [Row] = [
        Row(key: "run.seed", value: "7"),
        Row(key: "run.eval_interval", value: "3"),
        Row(key: "run.threads", value: "1"),
        Row(key: "run.bridge_workers", value: "1", context: bridge),
        Row(key: "run.update_on_worker_cores", value: "false", context: bridge),
        Row(key: "env.id", value: "push"),
        Row(key: "env.num_envs", value: "32"),
        Row(key: "env.shaped_reward", value: "true"),
        Row(key: "env.observation", value: "pixels"),
        Row(key: "env.image_size", value: "32", context: ["env.observation=pixels"]),
        Row(key: "demos.expert_noise", value: "0.2"),
        Row(key: "demos.success_only", value: "false"),
        Row(key: "policy.chunk_length", value: "4"),
        Row(key: "policy.denoising_steps", value: "10"),
        Row(key: "policy.encoder_widths", value: "[64]"),
        Row(key: "policy.hidden_width", value: "64"),
        Row(key: "policy.depth", value: "2"),
        Row(key: "policy.activation", value: "gelu"),
        Row(key: "policy.layer_norm", value: "true"),
        Row(key: "policy.observation_clip", value: "5"),
        Row(key: "policy.observation_std_floor", value: "0.01"),
        Row(key: "policy.time_embedding_dim", value: "16"),
        Row(key: "policy.conditioning", value: "concat"),
        Row(key: "policy.task_embedding_dim", value: "8"),
        Row(key: "policy.task_conditioning", value: "instruction"),
        Row(key: "policy.image_channels", value: "[8, 8]"),
        Row(key: "policy.image_features", value: "average-pool"),
        Row(key: "policy.image_film", value: "false"),
        Row(key: "sft.steps", value: "300"),
        Row(key: "sft.batch_size", value: "64"),
        Row(key: "sft.lr", value: "0.0005"),
        Row(key: "sft.schedule", value: "constant"),
        Row(key: "sft.warmup_steps", value: "10"),
        Row(key: "sft.weight_decay", value: "0.001"),
        Row(key: "sft.grad_clip", value: "0.5"),
        Row(key: "sft.ema_decay", value: "0.99"),
        Row(key: "sft.time_sampling", value: "uniform"),
        Row(key: "sft.held_out_fraction", value: "0.1"),
        Row(key: "sft.checkpoint_interval", value: "100"),
        Row(key: "sft.image_shift", value: "0"),
        Row(key: "rl.algo", value: "flow-noise"),
        Row(key: "rl.iterations", value: "5"),
        Row(key: "rl.rollout_steps", value: "10"),
        Row(key: "rl.max_episode_steps", value: "50"),
        Row(key: "rl.epochs", value: "2"),
        Row(key: "rl.minibatch_size", value: "128"),
        Row(key: "rl.freeze_encoder", value: "true"),
        Row(key: "rl.critic_warmup_iterations", value: "2"),
        Row(key: "rl.demo_loss_coef", value: "0.1"),
        Row(key: "rl.demo_batch_size", value: "64", context: ["rl.demo_loss_coef=0.1"]),
        Row(key: "rl.diagnostic_advantages", value: "one"),
        Row(key: "rl.actor_lr", value: "0.00002"),
        Row(key: "rl.actor_lr_schedule", value: "kl-adaptive"),
        Row(key: "rl.critic_lr", value: "0.0005"),
        Row(key: "rl.noise_lr", value: "0.0003", context: ["rl.algo=flow-noise"]),
        Row(key: "rl.adam_beta1", value: "0.8"),
        Row(key: "rl.adam_beta2", value: "0.99"),
        Row(key: "rl.weight_decay", value: "0.001"),
        Row(key: "rl.grad_clip", value: "0.5"),
        Row(key: "rl.clip_low", value: "0.1"),
        Row(key: "rl.clip_high", value: "0.3"),
        Row(key: "rl.dual_clip", value: "null"),
        Row(key: "rl.ratio_granularity", value: "step"),
        Row(key: "rl.logprob_steps", value: "sum"),
        Row(key: "rl.logprob_dims", value: "mean"),
        Row(key: "rl.kl_target", value: "0.05"),
        Row(key: "rl.kl_stop", value: "actor"),
        Row(key: "rl.kl_per_task", value: "true"),
        Row(key: "rl.entropy_coef", value: "0.01"),
        Row(key: "rl.gamma", value: "0.95"),
        Row(key: "rl.gae_lambda", value: "0.9"),
        Row(key: "rl.chunk_reward", value: "rlinf"),
        Row(key: "rl.advantage_normalization", value: "task"),
        Row(key: "rl.task_allocation", value: "success", context: ["env.id=multitask"]),
        Row(key: "rl.task_allocation_floor", value: "0.2", context: ["env.id=multitask", "rl.task_allocation=success"]),
        Row(key: "rl.denoise_discount", value: "0.9"),
        Row(key: "rl.grpo_group_size", value: "4", context: ["rl.algo=grpo"]),
        Row(key: "rl.critic_placement", value: "obs-head"),
        Row(key: "rl.critic_widths", value: "[64, 32, 16]"),
        Row(key: "rl.value_loss", value: "mse"),
        Row(key: "rl.huber_delta", value: "5"),
        Row(key: "rl.value_clip", value: "0.5"),
        Row(key: "rl.noise_level", value: "0.7"),
        Row(key: "rl.sde_schedule", value: "all"),
        Row(key: "rl.sigma_min", value: "0.05", context: ["rl.algo=flow-noise"]),
        Row(key: "rl.sigma_max", value: "0.2", context: ["rl.algo=flow-noise"]),
        Row(key: "rl.noise_net_widths", value: "[64, 32, 16]", context: ["rl.algo=flow-noise"]),
        Row(key: "rl.noise_net_sees_action", value: "true", context: ["rl.algo=flow-noise"]),
        Row(key: "rl.fpo_samples", value: "4", context: fpo),
        Row(key: "rl.fpo_clip", value: "0.1", context: fpo),
        Row(key: "rl.tau_sampling", value: "continuous", context: fpo),
        Row(key: "rl.fpo_log_ratio_clamp", value: "5", context: ["rl.algo=fpo++"]),
        Row(key: "rl.fpo_loss_clamp", value: "10", context: fpo),
        Row(key: "rl.aspo", value: "true", context: fpo),
        Row(key: "rl.fpo_rollout_sampler", value: "flow-sde", context: fpo),
        Row(key: "rl.fpo_loss_dims", value: "sum", context: fpo),
        Row(key: "rl.credit_assignment", value: "false", context: lyu),
        Row(key: "rl.latent_exploration", value: "true"),
        Row(key: "rl.latent_rho", value: "0.7", context: ["rl.latent_exploration=true"]),
        Row(key: "rl.q_ensemble", value: "false", context: lyu),
        Row(key: "rl.ensemble_size", value: "3", context: lyu),
        Row(key: "rl.ensemble_beta", value: "2", context: lyu),
        Row(key: "rl.ensemble_pessimism", value: "min-of-two", context: lyu),
        Row(key: "eval.episodes", value: "50"),
        Row(key: "eval.periodic_episodes", value: "20"),
        Row(key: "eval.seed", value: "77"),
        Row(key: "eval.sampler", value: "sde"),
        Row(key: "eval.num_envs", value: "64"),
    ]

    /// The keys the run pipeline consumes itself, and the test that shows each one's effect.
    static let pipelineKeys: [String: String] = [
        "run.name": "PipelineKeyEffectTests.runKeysShapeTheRunDirectory",
        "run.output_dir": "PipelineKeyEffectTests.runKeysShapeTheRunDirectory",
        "run.checkpoint_interval": "PipelineKeyEffectTests.runKeysShapeTheRunDirectory",
        "run.keep_checkpoints": "PipelineKeyEffectTests.runKeysShapeTheRunDirectory",
        "run.latest_checkpoint_seconds": "DataParallelTrainingTests.aRunKilledOutrightLeavesALatestCheckpointOfARecentIteration",
        "run.tensorboard": "PipelineKeyEffectTests.runKeysShapeTheRunDirectory",
        "run.progress_interval_seconds": "ProgressReporterTests (plain lines every interval)",
        "env.max_episode_steps": "ConfigEffectTests.envMaxEpisodeStepsAcceptsOnlyNull",
        "demos.count": "PipelineKeyEffectTests.runKeysShapeTheRunDirectory",
        "demos.path": "PipelineKeyEffectTests.runKeysShapeTheRunDirectory",
        "policy.denoised_clip": "PipelineKeyEffectTests.runKeysShapeTheRunDirectory",
    ]

    /// What the CLI hands to the libraries, as text (every field of every config).
    static func effect(_ config: FlowTuneConfig) throws -> [String: String] {
        return [
            "rl": String(describing: config.rl),
            "rl run": String(describing: config.rlRun),
            "noise network": String(describing: config.rl.noiseNetwork),
            "policy": String(describing: config.policyConfig(observationDim: 8, actionDim: 2,
                                                             tasks: (0..<10).map { TaskDescription(name: "t\($0)", instruction: "do task \($0)", maxEpisodeSteps: 10) })),
            "pixel policy": String(describing: config.policyConfig(observationDim: 8 + 16 * 16 * 3, actionDim: 2,
                                                                   tasks: (0..<3).map { TaskDescription(name: "t\($0)", instruction: "do task \($0)", maxEpisodeSteps: 10) },
                                                                   image: ImageLayout(offset: 8, size: 16))),
            "sft": String(describing: config.sft),
            "demonstrations": String(describing: config.demonstrationCollector),
            "placement": String(describing: config.workerPlacement),
            "evaluation": String(describing: config.evaluationModes.map(config.evaluator(mode:))),
        ]
    }

    @Test func everyKeyIsInExactlyOneTable() {
        let library = Self.libraryRows.map(\.key)
        #expect(Set(library).count == library.count, "a key is listed twice")
        #expect(Set(library).isDisjoint(with: Self.pipelineKeys.keys))
        let listed = Set(library).union(Self.pipelineKeys.keys)
        let all = Set(FlowTuneConfig.leafPaths)
        #expect(all.subtracting(listed).sorted() == [], "keys without an effect test")
        #expect(listed.subtracting(all).sorted() == [], "rows for keys that do not exist")
    }

    @Test(arguments: ConfigEffectTests.libraryRows)
    func settingTheKeyChangesWhatTheLibrariesReceive(_ row: Row) throws {
        let base = try FlowTuneConfig.load(yaml: "", overrides: row.context)
        let changed = try FlowTuneConfig.load(yaml: "", overrides: row.context + ["\(row.key)=\(row.value)"])
        let differs = base != changed
        #expect(differs, "\(row): the value must differ from the default")
        let unchanged = try Self.effect(base) == Self.effect(changed)
        #expect(!unchanged, "\(row) is accepted but changes nothing the libraries receive")
    }

    @Test func envMaxEpisodeStepsAcceptsOnlyNull() {
        #expect(throws: (any Error).self) { try FlowTuneConfig.load(yaml: "", overrides: ["env.max_episode_steps=50"]) }
    }
}
