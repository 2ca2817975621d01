import FlowPolicy

/// What the run around an `RLTrainer` decides, beside the `rl:` knobs: how many environments and
/// which reward they pay, the seed of every random stream, and the periodic evaluation. The command
/// line fills it from the `env`, `run` and `eval` sections.
public struct RLRun: Sendable, Equatable, Codable {
    /// Environments stepped together.
    public var numEnvs: Int
    /// The master seed (policy initialisation is the SFT's; here: resets, noise, minibatches, critic).
    public var seed: UInt64
    /// Train on the progress reward (a potential's change) added to the success reward.
    public var shapedReward: Bool
    /// Evaluate every this many iterations (0: never during training).
    public var evalEvery: Int
    public var evalEpisodes: Int
    /// The sampler of those evaluations.
    public var evaluationMode: SamplingMode
    /// How the demonstration anchor draws flow times (the SFT's `time_sampling`).
    public var demonstrationTimeSampling: ConditionalFlowMatching.TimeSampling
    /// Environments stepped together by the periodic evaluations (nil: `Evaluator.defaultBatchSize`);
    /// ODE outcomes do not depend on it, memory does.
    public var evalNumEnvs: Int?

    /// The environments and the seed are the caller's to give; the rest defaults to FlowTune's
    /// (`env.shaped_reward` false, no periodic evaluation, the ODE sampler, π0's Beta times).
    public init(numEnvs: Int, seed: UInt64, shapedReward: Bool = false, evalEvery: Int = 0, evalEpisodes: Int = 200,
                evaluationMode: SamplingMode = .ode, demonstrationTimeSampling: ConditionalFlowMatching.TimeSampling = .beta,
                evalNumEnvs: Int? = nil) {
        (self.numEnvs, self.seed, self.shapedReward) = (numEnvs, seed, shapedReward)
        (self.evalEvery, self.evalEpisodes, self.evaluationMode, self.evalNumEnvs) = (evalEvery, evalEpisodes, evaluationMode, evalNumEnvs)
        self.demonstrationTimeSampling = demonstrationTimeSampling
    }

    func validate(for config: RLConfig) throws {
        func check(_ ok: Bool, _ field: String, _ rule: String) throws {
            if !ok { throw RLError.invalidConfig(field: field, rule: rule) }
        }
        try check(numEnvs >= 1, "num_envs", "must be ≥ 1")
        try check(config.advantageEstimator != .grpo || numEnvs % config.grpoGroupSize == 0, "num_envs",
                  "must be a multiple of grpo_group_size for GRPO")
        try check(evalEvery >= 0, "eval_interval", "must be ≥ 0")
        try check(evalEpisodes >= 1, "eval_episodes", "must be ≥ 1")
        try check((evalNumEnvs ?? 1) >= 1, "eval_num_envs", "must be ≥ 1")
    }
}
