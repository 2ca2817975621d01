import FlowConfig
import FlowDistributed
import FlowPolicy
import FlowRL
/// Everything a FlowTune run can be told, one section per stage of the pipeline.
///
/// ```swift
/// let config = try FlowTuneConfig.load(file: "configs/push-flow-sde.yaml",
///                                      overrides: ["rl.algo=fpo++", "env.num_envs=64"])
/// config.rl.algo                       // .fpoPlusPlus
/// try run.writeConfig(config)          // saves config.yaml: every knob, defaulted and overridden
/// ```
///
/// A command loads a config with `load(file:overrides:)`: the file (or the defaults when there is
/// none), then the `--set` overrides in order, then the command's own flags translated to
/// overrides (`--algo fpo` → `rl.algo=fpo`), validated together. Saving writes `yaml()`, which
/// reloads to an equal value. Defaults follow docs/algorithms.md §5.
public struct FlowTuneConfig: ConfigSection {
    /// Naming, seeding and bookkeeping of the run directory.
    public var run = Run()
    /// The simulator.
    public var env = Env()
    /// Expert demonstrations for SFT.
    public var demos = Demos()
    /// The flow policy's architecture and sampler.
    public var policy = PolicyArchitecture()
    /// Supervised flow matching on the demonstrations.
    public var sft = SFTConfig()
    /// Online RL fine-tuning.
    public var rl = RLConfig()
    /// Evaluation episodes.
    public var eval = Eval()

    public init() {}

    public static var fields: [ConfigField<Self>] {[
        .init("run", \.run, "run directory, seed, checkpoint and evaluation intervals"),
        .init("env", \.env, "the simulator"),
        .init("demos", \.demos, "expert demonstrations for SFT"),
        .init("policy", \.policy, "flow policy architecture (docs/algorithms.md §1-3)"),
        .init("sft", \.sft, "supervised flow matching on the demonstrations (docs/algorithms.md §2)"),
        .init("rl", \.rl, "online RL fine-tuning (docs/algorithms.md §3-4)"),
        .init("eval", \.eval, "evaluation"),
    ]}

    /// The run directory name: `run.name`, or `<env>-<algo>-seed<seed>` when it is null.
    public var runName: String { run.name ?? "\(env.id)-\(rl.algo.rawValue)-seed\(run.seed)" }

    /// Checks between sections.
    public func validate(path: String) throws(ConfigError) {
        // Under mpirun every rank steps env.num_envs environments, and a minibatch is cut from all of them.
        let ranks = Communicators.launcherRankCount
        let decisions = env.numEnvs * rl.rolloutSteps * ranks
        if rl.minibatchSize > decisions {
            throw ConfigError.inconsistent(
                paths: ["rl.minibatch_size", "env.num_envs"],
                message: "a minibatch of \(rl.minibatchSize) decisions is larger than the \(decisions) decisions "
                    + "one iteration collects (env.num_envs × rl.rollout_steps\(ranks > 1 ? " × \(ranks) ranks" : "")); lower rl.minibatch_size or "
                    + "raise env.num_envs or rl.rollout_steps.")
        }
        if let steps = env.maxEpisodeSteps {
            throw ConfigError.inconsistent(
                paths: ["env.max_episode_steps"],
                message: "a time limit for evaluation other than the task's own (\(steps)) would change the benchmark "
                    + "and is not supported; remove the key (null), or set rl.max_episode_steps to shorten the training "
                    + "episodes only.")
        }
        if rl.algo == .grpo && env.numEnvs % rl.grpoGroupSize != 0 {
            throw ConfigError.inconsistent(
                paths: ["env.num_envs", "rl.grpo_group_size"],
                message: "GRPO runs groups of \(rl.grpoGroupSize) environments from the same reset seed, so "
                    + "env.num_envs (\(env.numEnvs)) must be a multiple of rl.grpo_group_size.")
        }
    }
}
