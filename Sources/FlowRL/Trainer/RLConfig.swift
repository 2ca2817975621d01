import FlowPolicy

/// Online RL settings (docs/algorithms.md §4–5); every knob with its default and meaning.
public struct RLConfig: Sendable, Equatable, Codable {
    public enum Algorithm: String, Sendable, Codable, CaseIterable {
        /// PPO on the Flow-SDE chain (§3.2, §4.1).
        case flowSDE = "flow-sde"
        /// PPO on the Flow-Noise chain with its learned σ and entropy bonus (§3.3, §4.1).
        case flowNoise = "flow-noise"
        /// Likelihood-free FPO / FPO++ with Lyu et al.'s components as switches (§4.2–4.3); see `fpo`.
        case fpo
    }

    /// Diagnostics: what the policy loss sees instead of the estimated advantages.
    public enum AdvantageDiagnostic: String, Sendable, Codable, CaseIterable {
        /// Every advantage 1: the update is the objective's pull toward the policy's own samples.
        case one
        /// Every advantage 0: only the critic (and an anchor) learn.
        case zero
        /// `max(A, 0)` after normalisation: only better-than-expected samples are reinforced.
        case positivePart = "positive-part"

        public func apply(_ a: [Float]) -> [Float] {
            switch self {
            case .one: return a.map { _ in 1 }
            case .zero: return a.map { _ in 0 }
            case .positivePart: return a.map { max($0, 0) }
            }
        }
    }

    /// What the per-minibatch KL early stop ends (docs/algorithms.md §4.1).
    public enum KLStopScope: String, Sendable, Codable, CaseIterable {
        /// No further step of any network on this rollout.
        case update
        /// No further policy step; the critic regresses through its remaining epochs.
        case actor
    }

    public enum AdvantageEstimator: String, Sendable, Codable, CaseIterable {
        /// GAE over decisions with a learned critic.
        case gae
        /// Group-relative advantages of whole episodes (no critic).
        case grpo
    }

    public var algorithm: Algorithm = .flowSDE
    /// Flow-SDE's stochastic steps.
    public var sdeSchedule: SDESchedule = .oneStep
    /// Flow-SDE noise level `a_n`.
    public var noiseLevel: Float = 0.5
    public var advantageEstimator: AdvantageEstimator = .gae
    /// GRPO group size (environments reset from one seed).
    public var groupSize: Int = 8

    /// Training iterations (collect → advantages → update).
    public var iterations: Int = 100
    /// Environments stepped together.
    public var numEnvs: Int = 64
    /// Environment steps per environment per iteration (GAE), raised to the environment's time limit
    /// when shorter so that every episode started at the iteration's reset can finish; GRPO runs one
    /// episode per environment.
    public var stepsPerIteration: Int = 100

    public var gamma: Float = 0.99
    public var lambda: Float = 0.95
    public var rewardDiscounting: RewardDiscounting = .perEnvironmentStep
    public var normalizeAdvantages: Bool = true

    /// Update epochs over each rollout.
    public var epochs: Int = 4
    /// Decisions per minibatch.
    public var minibatchSize: Int = 256
    public var actorLearningRate: Float = 1e-4
    /// Adapt the actor's learning rate between updates to the KL stop (`KLAdaptiveLearningRate`),
    /// starting from `actorLearningRate`; needs `klTarget`.
    public var adaptiveActorLearningRate: Bool = false
    public var noiseLearningRate: Float = 1e-4
    public var criticLearningRate: Float = 1e-3
    public var weightDecay: Float = 0.01
    /// Adam's moment decays (β₁, β₂) of every RL optimizer (actor, noise network, critic).
    public var adamBeta1: Float = 0.9
    public var adamBeta2: Float = 0.95
    public var clipLow: Float = 0.2
    public var clipHigh: Float = 0.2
    /// Dual-clip constant `c` for negative advantages (nil: off).
    public var dualClip: Float? = 3
    /// Log-density aggregation and ratio granularity. A chain's log-density is averaged over its
    /// stochastic steps (as RLinf does): summed, an all-steps chunk ratio adds K·H·D Gaussian terms,
    /// and with the per-minibatch KL stop an update then takes one or two steps before the stop
    /// (docs/results/rl-stability.md). The one-step schedule has one term, so it is unaffected.
    public var aggregation: LogDensityAggregation = LogDensityAggregation(overSteps: .mean)
    /// Global gradient-norm clip (actor and critic clipped separately).
    public var gradientClip: Float = 1.0
    /// Stop an update's remaining epochs when the approximate KL exceeds this (nil: never).
    public var klTarget: Float? = nil
    /// What the KL stop ends: every step (`.update`, as Stable-Baselines3), or only the policy's, the
    /// critic finishing its epochs on the same rollout (`.actor`, as Spinning Up's PPO).
    public var klStopScope: KLStopScope = .update
    /// Test the KL stop on the largest of the tasks' KLs instead of the batch's (multi-task suites,
    /// where a task whose policy moves several times the average would leave its trust region).
    public var klStopPerTask: Bool = false
    /// Entropy bonus coefficient (Flow-Noise; §3.3 default 0.005).
    public var entropyCoefficient: Float = 0.005
    /// Weight of the value loss in the joint loss.
    public var valueCoefficient: Float = 0.5
    public var valueLoss: ValueLoss = ValueLoss()
    public var criticPlacement: Critic.Placement = .separate
    /// Hidden widths of each critic head's MLP, one per hidden layer.
    public var criticWidths: [Int] = [256, 256]
    /// Critic heads `E` (> 1: a Q-ensemble of independently initialised heads, §4.3).
    public var criticEnsembleSize: Int = 1
    /// How an ensemble's heads combine into the value advantages use.
    public var ensemblePessimism: EnsemblePessimism = .meanMinusStd(beta: 1)
    /// Probability that an ensemble head regresses on a given row of a minibatch (bootstrap masks).
    public var ensembleBootstrapProbability: Float = 0.5
    /// FPO's knobs and Lyu et al.'s components (used when `algorithm == .fpo`).
    public var fpo = FPOSettings()
    /// DPPO-style denoising discount `γ_d` for all-steps chains (nil: off): the advantage of
    /// denoising step k is multiplied by `γ_d^(K−k−1)`.
    public var denoisingDiscount: Float? = nil
    /// Keep the observation encoder (and task embedding) fixed.
    public var freezeEncoder: Bool = false
    /// Train on the tasks' dense shaped reward instead of the sparse success reward (evaluation
    /// always measures success); nil = sparse.
    public var shapedReward: Bool? = nil
    /// Training episodes end (truncated, their value bootstrapped) after this many env steps when the
    /// task's own limit is longer; evaluation keeps the task's own limit. For tasks that succeed early
    /// or not at all, a shorter limit gives more episodes, and so more successes, per iteration
    /// (docs/algorithms.md, "Time limits"). nil = the task's own.
    public var rolloutTimeLimit: Int? = nil
    /// Multi-step latent exploration (Lyu et al., docs/algorithms.md §4.3), for every method: the
    /// initial noise of an episode's successive decisions is AR(1)-correlated with this ρ,
    /// `x_1' = ρ·x_1 + sqrt(1 − ρ²)·z`, so consecutive chunks deviate in a consistent direction. The
    /// likelihood ratios stay exact: a chain's log-density conditions on its initial noise, which the
    /// old and the new policy share. nil = independent noise (like ρ = 0).
    public var latentRho: Float? = nil
    /// Behaviour-cloning anchor on the demonstrations (`DemonstrationAnchor`); nil = off. The trainer
    /// then needs the demonstrations.
    public var demonstrationAnchor: DemonstrationAnchorSettings? = nil
    /// Diagnostics only: replace the (normalised) advantages of the policy loss; nil = off. The critic
    /// still learns from the real returns.
    public var advantageDiagnostic: AdvantageDiagnostic? = nil
    /// First iterations that update only the critic (the policy waits for useful advantages).
    public var criticWarmupIterations: Int = 0

    /// Evaluate every this many iterations (0: only at the end).
    public var evalEvery: Int = 10
    public var evalEpisodes: Int = 200
    /// The sampler of those evaluations (deterministic ODE by default).
    public var evaluationMode: SamplingMode = .ode
    public var seed: UInt64 = 0

    public init() {}

    /// The sampling mode of rollouts.
    public var samplingMode: SamplingMode {
        switch algorithm {
        case .flowSDE: return .flowSDE(schedule: sdeSchedule, noiseLevel: noiseLevel)
        case .flowNoise: return .flowNoise
        case .fpo: return fpo.rolloutSampler
        }
    }

    /// Whether the policy loss carries Flow-Noise's entropy bonus (and the run logs entropy).
    public var usesEntropyBonus: Bool { algorithm == .flowNoise && entropyCoefficient > 0 }

    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ rule: String) throws {
            if !ok { throw RLError.invalidConfig(field: field, rule: rule) }
        }
        try check(noiseLevel > 0, "noise_level", "must be > 0")
        try check(groupSize >= 2, "group_size", "must be ≥ 2")
        try check(iterations >= 1, "iterations", "must be ≥ 1")
        try check(numEnvs >= 1, "num_envs", "must be ≥ 1")
        try check(advantageEstimator != .grpo || numEnvs % groupSize == 0, "num_envs", "must be a multiple of group_size for GRPO")
        try check(stepsPerIteration >= 1, "steps_per_iteration", "must be ≥ 1")
        try check(gamma > 0 && gamma <= 1, "gamma", "must be in (0, 1]")
        try check(lambda >= 0 && lambda <= 1, "lambda", "must be in [0, 1]")
        try check(epochs >= 1, "epochs", "must be ≥ 1")
        try check(minibatchSize >= 1, "minibatch_size", "must be ≥ 1")
        for (v, name) in [(actorLearningRate, "actor_learning_rate"), (noiseLearningRate, "noise_learning_rate"),
                          (criticLearningRate, "critic_learning_rate")] {
            try check(v > 0 && v.isFinite, name, "must be a positive number")
        }
        try check(!adaptiveActorLearningRate || klTarget != nil, "actor_lr_schedule",
                  "kl-adaptive needs kl_target: the rate adapts to the KL stop")
        try check(adamBeta1 >= 0 && adamBeta1 < 1, "adam_beta1", "must be in [0, 1)")
        try check(adamBeta2 >= 0 && adamBeta2 < 1, "adam_beta2", "must be in [0, 1)")
        try check(clipLow > 0 && clipLow < 1, "clip_low", "must be in (0, 1)")
        try check(clipHigh > 0, "clip_high", "must be > 0")
        if let c = dualClip { try check(c > 1, "dual_clip", "must be > 1") }
        try check(gradientClip > 0, "gradient_clip", "must be > 0")
        if let k = klTarget { try check(k > 0, "kl_target", "must be > 0") }
        try check(entropyCoefficient >= 0, "entropy_coefficient", "must be ≥ 0")
        try check(valueCoefficient >= 0, "value_coefficient", "must be ≥ 0")
        if let d = denoisingDiscount { try check(d > 0 && d <= 1, "denoising_discount", "must be in (0, 1]") }
        try check(criticWarmupIterations >= 0, "critic_warmup_iterations", "must be ≥ 0")
        if let t = rolloutTimeLimit { try check(t >= 1, "max_episode_steps", "must be ≥ 1") }
        if let rho = latentRho { try check(rho >= 0 && rho < 1, "latent_rho", "must be in [0, 1)") }
        try check(evalEvery >= 0, "eval_every", "must be ≥ 0")
        try check(evalEpisodes >= 1, "eval_episodes", "must be ≥ 1")
        try check(criticEnsembleSize >= 1, "critic_ensemble_size", "must be ≥ 1")
        try check(ensembleBootstrapProbability > 0 && ensembleBootstrapProbability <= 1, "ensemble_bootstrap_probability", "must be in (0, 1]")
        try demonstrationAnchor?.validate()
        if case .meanMinusStd(let beta) = ensemblePessimism { try check(beta >= 0 && beta.isFinite, "ensemble_beta", "must be ≥ 0") }
        if algorithm == .fpo {
            try fpo.validate()
            if fpo.creditAssignment {
                try check(advantageEstimator == .gae, "fpo.credit_assignment", "needs GAE advantages (a critic), not GRPO")
                try check(criticPlacement != .velocityFeatures, "fpo.credit_assignment",
                          "needs step-level values, which the velocity-feature critic cannot give; use the separate or observation-feature critic")
            }
        }
    }
}

public enum RLError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(field: String, rule: String)
    case policyMismatch(reason: String)
    case notACheckpoint(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidConfig(let field, let rule): return "RL config field '\(field)' \(rule)."
        case .policyMismatch(let reason): return "The policy does not fit this training setup: \(reason)."
        case .notACheckpoint(let path, let reason):
            return "\(path) is not a FlowTune training checkpoint (\(reason)); resume from a run directory written by `flowtune train`."
        }
    }
}
