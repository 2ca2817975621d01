import FlowConfig
import FlowPolicy

/// Online RL fine-tuning of the flow policy: the `rl:` section of a FlowTune config, and what
/// `RLTrainer` reads. Every knob of docs/algorithms.md §3–4 is declared once, here, with its YAML key,
/// its default (§5's, unless a result says otherwise), its bounds and its meaning, grouped in the order
/// the algorithm uses them: the loop, the optimizer, the PPO surrogate, advantages, the critic, then
/// each method's own knobs. What the trainer derives from them (the method's chain and objective
/// settings, Float views) is in `RLConfig+Trainer.swift`; what the run around it decides (environments,
/// seed, periodic evaluation) is `RLRun`.
///
/// ```yaml
/// rl:
///   algo: flow-noise
///   iterations: 200
///   sigma_min: 0.08
///   sigma_max: 0.16
/// ```
///
/// Knobs whose best value depends on the method are optional, and null means "the method's
/// default": `entropy_coef`, `fpo_samples`, `tau_sampling`, `latent_exploration` (see the `effective…` properties).
public struct RLConfig: ConfigSection {
    // The loop.
    public var algo = Algorithm.flowSDE
    public var iterations = 100
    public var rolloutSteps = 20
    public var maxEpisodeSteps: Int? = nil
    public var epochs = 4
    public var minibatchSize = 256
    public var freezeEncoder = false
    public var criticWarmupIterations = 0
    public var demoLossCoef: Double? = nil
    public var demoBatchSize = 128
    public var diagnosticAdvantages: DiagnosticAdvantages? = nil
    // The optimizer.
    public var actorLR = 1e-4
    public var actorLRSchedule = ActorLRSchedule.constant
    public var criticLR = 1e-3
    public var noiseLR = 1e-4
    public var adamBeta1 = 0.9
    public var adamBeta2 = 0.95
    public var weightDecay = 0.01
    public var gradClip: Double? = 1.0
    // The PPO surrogate (§4.1).
    public var clipLow = 0.2
    public var clipHigh = 0.2
    public var dualClip: Double? = 3.0
    public var ratioGranularity = RatioGranularity.chunk
    public var logprobSteps = Aggregation.mean
    public var logprobDims = Aggregation.sum
    public var klTarget: Double? = 0.02
    public var klStop = KLStop.update
    public var klPerTask = false
    public var entropyCoef: Double? = nil
    // Advantages (§4.4).
    public var gamma = 0.99
    public var gaeLambda = 0.95
    public var chunkReward = ChunkReward.discounted
    public var advantageNormalization = AdvantageNormalization.batch
    public var taskAllocation = TaskAllocationMode.fixed
    public var taskAllocationFloor = 0.1
    public var denoiseDiscount: Double? = nil
    public var grpoGroupSize = 8
    // The critic (§4.4).
    public var criticPlacement = CriticPlacement.separate
    public var criticWidths = [256, 256]
    public var valueLoss = ValueLoss.Kind.huber
    public var huberDelta = 10.0
    public var valueClip: Double? = 0.2
    // Flow-SDE (§3.2).
    public var noiseLevel = 0.5
    public var sdeSchedule = SDESchedule.oneStep
    // Flow-Noise (§3.3).
    public var sigmaMin = 0.08
    public var sigmaMax = 0.16
    public var noiseNetWidths = [128, 128]
    public var noiseNetSeesAction = false
    // FPO, FPO++ (§4.2).
    public var fpoSamples: Int? = nil
    public var fpoClip = 0.05
    public var tauSampling: TauSampling? = nil
    public var fpoLogRatioClamp = 10.0
    public var fpoLossClamp = 20.0
    public var aspo = false
    public var fpoRolloutSampler = RolloutSampler.ode
    public var fpoLossDims = Aggregation.mean
    // Lyu et al.'s components, FlowTune's definitions (§4.3).
    public var creditAssignment = true
    public var latentExploration: Bool? = nil
    public var latentRho = 0.5
    public var qEnsemble = true
    public var ensembleSize = 5
    public var ensembleBeta = 1.0
    public var ensemblePessimism = EnsemblePessimism.meanMinusStd

    public init() {}

    public static var fields: [ConfigField<Self>] {[
        .init("algo", \.algo, "method: PPO on chain log-probs (flow-sde, flow-noise), likelihood-free FPO (fpo*), critic-free grpo"),
        .init("iterations", \.iterations, "RL iterations (collect, advantages, update)", .atLeast(1)),
        .init("rollout_steps", \.rolloutSteps, "decisions (executed chunks) per environment per iteration", .atLeast(1)),
        .init("max_episode_steps", \.maxEpisodeSteps,
              "time limit of training episodes in env steps, where shorter than the task's own (evaluation keeps the task's); null = the task's own",
              .atLeast(1)),
        .init("epochs", \.epochs, "passes over each iteration's rollouts", .atLeast(1)),
        .init("minibatch_size", \.minibatchSize, "decisions per gradient step", .atLeast(1)),
        .init("freeze_encoder", \.freezeEncoder, "keep the observation encoder fixed during RL"),
        .init("critic_warmup_iterations", \.criticWarmupIterations, "first iterations that train only the critic", .atLeast(0)),
        .init("demo_loss_coef", \.demoLossCoef,
              "weight of the demonstrations' CFM loss added to every actor update (a behaviour-cloning anchor on demos.path, or on demonstrations collected with the demos settings); null = off",
              .greaterThan(0)),
        .init("demo_batch_size", \.demoBatchSize, "demonstration pairs per minibatch of the anchor", .atLeast(1)),
        .init("diagnostic_advantages", \.diagnosticAdvantages,
              "diagnostics only: the policy loss sees advantages of 1, 0 or max(A, 0) instead of A (the critic still learns); null = off"),
        .init("actor_lr", \.actorLR, "AdamW learning rate of the velocity network", .above(0, atMost: 1)),
        .init("actor_lr_schedule", \.actorLRSchedule,
              "constant: actor_lr throughout; kl-adaptive: starts at actor_lr, divided by 1.5 after an update the KL stop ended in its first epoch, multiplied by 1.5 after one that ran every epoch below half of kl_target"),
        .init("critic_lr", \.criticLR, "AdamW learning rate of the critic(s)", .above(0, atMost: 1)),
        .init("noise_lr", \.noiseLR, "AdamW learning rate of the Flow-Noise sigma network", .above(0, atMost: 1)),
        .init("adam_beta1", \.adamBeta1, "Adam first-moment decay", .atLeast(0, below: 1)),
        .init("adam_beta2", \.adamBeta2, "Adam second-moment decay", .atLeast(0, below: 1)),
        .init("weight_decay", \.weightDecay, "AdamW decoupled weight decay", .within(0...1)),
        .init("grad_clip", \.gradClip, "global gradient-norm clip; null = none", .greaterThan(0)),
        .init("clip_low", \.clipLow, "PPO clip epsilon below 1: ratio >= 1 - clip_low", .strictlyBetween(0, 1)),
        .init("clip_high", \.clipHigh, "PPO clip epsilon above 1: ratio <= 1 + clip_high", .greaterThan(0)),
        .init("dual_clip", \.dualClip, "dual-clip bound c on the loss for A < 0; null = off", .greaterThan(1)),
        .init("ratio_granularity", \.ratioGranularity, "one PPO ratio per chunk, per action step, or per element"),
        .init("logprob_steps", \.logprobSteps, "chain log-prob over its stochastic denoising steps: mean (one ratio's scale whatever K) or sum"),
        .init("logprob_dims", \.logprobDims, "chain log-prob over chunk and action dims: sum or mean"),
        .init("kl_target", \.klTarget, "stop an update's epochs once approx. KL exceeds this; null = never", .greaterThan(0)),
        .init("kl_stop", \.klStop,
              "what the KL stop ends: update = every network's steps; actor = the policy's, while the critic finishes its epochs"),
        .init("kl_per_task", \.klPerTask,
              "multi-task suites: the KL stop tests the largest task's KL instead of the batch's, so no task leaves the trust region"),
        .init("entropy_coef", \.entropyCoef, "entropy bonus; null = 0.005 for flow-noise, 0 otherwise", .atLeast(0)),
        .init("gamma", \.gamma, "discount per environment step", .within(0...1)),
        .init("gae_lambda", \.gaeLambda, "GAE lambda over decisions", .within(0...1)),
        .init("chunk_reward", \.chunkReward,
              "discounted: gamma per env step inside a chunk; rlinf: undiscounted chunk sum, gamma per decision"),
        .init("advantage_normalization", \.advantageNormalization,
              "scale advantages to zero mean and unit std over the batch, over each task's decisions separately (multi-task suites), or none"),
        .init("task_allocation", \.taskAllocation,
              "multi-task suites: fixed (env i runs task i mod T) or success (every iteration, one env per task and the rest dealt by 1 - smoothed training success)"),
        .init("task_allocation_floor", \.taskAllocationFloor,
              "task_allocation success: the smallest weight a task gets, however often it succeeds", .above(0, atMost: 1)),
        .init("denoise_discount", \.denoiseDiscount, "DPPO discount gamma_d^(K-k-1) per denoising step; null = off", .above(0, atMost: 1)),
        .init("grpo_group_size", \.grpoGroupSize, "GRPO: environments per group, reset from one seed", .atLeast(2)),
        .init("critic_placement", \.criticPlacement,
              "separate MLP on obs, head on the policy's obs features, or head on velocity-net features"),
        .init("critic_widths", \.criticWidths, "hidden widths of the critic MLP (every placement and ensemble head), one hidden layer per entry", each: .within(1...65_536)),
        .init("value_loss", \.valueLoss, "critic loss: Huber with value clipping (pi_RL) or plain MSE"),
        .init("huber_delta", \.huberDelta, "Huber loss delta", .greaterThan(0)),
        .init("value_clip", \.valueClip, "value clipping range around the old value; null = off", .greaterThan(0)),
        .init("noise_level", \.noiseLevel, "Flow-SDE noise level a_n in sigma_t = a_n sqrt(t/(1-t))", .greaterThan(0)),
        .init("sde_schedule", \.sdeSchedule, "Flow-SDE: one random stochastic step per call, or all steps"),
        .init("sigma_min", \.sigmaMin, "Flow-Noise: lower bound of the learned sigma", .greaterThan(0)),
        .init("sigma_max", \.sigmaMax, "Flow-Noise: upper bound of the learned sigma", .greaterThan(0)),
        .init("noise_net_widths", \.noiseNetWidths, "Flow-Noise: hidden widths of the sigma network, one hidden layer per entry", each: .within(1...65_536)),
        .init("noise_net_sees_action", \.noiseNetSeesAction, "Flow-Noise: feed x_k to the sigma network too"),
        .init("fpo_samples", \.fpoSamples, "FPO: (tau, eps) pairs N_mc per chunk; null = 8, or 16 for fpo++", .within(1...1024)),
        .init("fpo_clip", \.fpoClip, "FPO: PPO clip epsilon of the FPO ratio", .strictlyBetween(0, 1)),
        .init("tau_sampling", \.tauSampling, "FPO: tau on the K-point grid or continuous; null = continuous for fpo++, else grid"),
        .init("fpo_log_ratio_clamp", \.fpoLogRatioClamp, "FPO++: straight-through clamp of the per-pair log-ratio", .greaterThan(0)),
        .init("fpo_loss_clamp", \.fpoLossClamp, "FPO++: clamp of each CFM loss", .greaterThan(0)),
        .init("aspo", \.aspo, "FPO++: ASPO trust region for A < 0 instead of PPO clipping"),
        .init("fpo_rollout_sampler", \.fpoRolloutSampler, "FPO: sampler used to collect rollouts"),
        .init("fpo_loss_dims", \.fpoLossDims, "FPO: a pair's CFM loss over the chunk's dims: sum (squared norm) or mean"),
        .init("credit_assignment", \.creditAssignment, "fpo-lyu: per-step advantages inside the chunk"),
        .init("latent_exploration", \.latentExploration,
              "initial noise correlated across an episode's decisions (Lyu et al.'s latent exploration, any method); null = the method's default: on for fpo-lyu, off otherwise"),
        .init("latent_rho", \.latentRho, "correlation rho of successive initial noises under latent_exploration", .atLeast(0, below: 1)),
        .init("q_ensemble", \.qEnsemble, "fpo-lyu: ensemble of critics with a pessimistic advantage"),
        .init("ensemble_size", \.ensembleSize, "fpo-lyu: critics E in the ensemble", .within(2...64)),
        .init("ensemble_beta", \.ensembleBeta, "fpo-lyu: pessimism beta in mean - beta*std", .atLeast(0)),
        .init("ensemble_pessimism", \.ensemblePessimism, "fpo-lyu: mean-minus-std or min over a random pair"),
    ]}

    /// The entropy coefficient the method uses: `entropy_coef`, or 0.005 for Flow-Noise and 0 otherwise.
    /// Latent exploration: `latent_exploration`, or on for fpo-lyu (one of Lyu et al.'s components) and off otherwise.
    public var effectiveLatentExploration: Bool { latentExploration ?? (algo == .fpoLyu) }
    public var effectiveEntropyCoef: Double { entropyCoef ?? (algo == .flowNoise ? 0.005 : 0) }
    /// FPO's `N_mc`: `fpo_samples`, or 16 for FPO++ and 8 otherwise.
    public var effectiveFPOSamples: Int { fpoSamples ?? (algo == .fpoPlusPlus ? 16 : 8) }
    /// FPO's τ sampling: `tau_sampling`, or continuous for FPO++ and the grid otherwise.
    public var effectiveTauSampling: TauSampling { tauSampling ?? (algo == .fpoPlusPlus ? .continuous : .grid) }

    public func validate(path: String) throws(ConfigError) {
        if actorLRSchedule == .klAdaptive && klTarget == nil {
            throw ConfigError.inconsistent(paths: [Self.join(path, "actor_lr_schedule"), Self.join(path, "kl_target")],
                                           message: "actor_lr_schedule kl-adaptive adapts the rate to the KL stop; set kl_target (e.g. 0.02) or use constant.")
        }
        if algo == .fpoLyu && creditAssignment && criticPlacement == .velocityHead {
            throw ConfigError.inconsistent(paths: [Self.join(path, "credit_assignment"), Self.join(path, "critic_placement")],
                                           message: "credit assignment needs a value per action step, which the velocity-head critic cannot give; "
                                               + "use critic_placement separate or obs-head, or credit_assignment false.")
        }
        if sigmaMin > sigmaMax {
            throw ConfigError.inconsistent(paths: [Self.join(path, "sigma_min"), Self.join(path, "sigma_max")],
                                           message: "sigma_min (\(sigmaMin)) is above sigma_max (\(sigmaMax)); "
                                               + "swap them or lower sigma_min.")
        }
    }

    /// The RL method (docs/algorithms.md §4).
    public enum Algorithm: String, ConfigEnum {
        /// PPO on the log-probability of Flow-SDE chains (§3.2, §4.1).
        case flowSDE = "flow-sde"
        /// PPO on the log-probability of chains with a learned σ network (§3.3, §4.1).
        case flowNoise = "flow-noise"
        /// Likelihood-free: per-action ratio from averaged CFM losses (§4.2).
        case fpo
        /// Per-sample ratios with clamps (§4.2).
        case fpoPlusPlus = "fpo++"
        /// FPO with Lyu et al.'s components as FlowTune defines them (§4.3).
        case fpoLyu = "fpo-lyu"
        /// Flow-SDE ratio with group-relative advantages and no critic (§4.4).
        case grpo
    }

    /// How the actor's learning rate evolves (§4.1).
    public enum ActorLRSchedule: String, ConfigEnum {
        case constant
        case klAdaptive = "kl-adaptive"
    }

    /// How many PPO ratios a chunk contributes (§4.1).
    public enum RatioGranularity: String, ConfigEnum { case chunk, step, element }

    /// How a multi-task suite's training environments are dealt to its tasks (docs/algorithms.md §4.4).
    public enum TaskAllocationMode: String, ConfigEnum {
        /// Environment i runs task i mod T, every iteration.
        case fixed
        /// At every iteration one environment per task, and the rest in proportion to how often each
        /// task still fails in training (`TaskAllocation`).
        case success
    }

    /// Over which decisions advantages are scaled to zero mean and unit standard deviation before the
    /// update (docs/algorithms.md §4.4).
    public enum AdvantageNormalization: String, ConfigEnum {
        /// The whole batch (the usual PPO normalisation).
        case batch
        /// Each task's decisions on their own, so every task of a multi-task suite enters the update
        /// with the same advantage scale, however large or small its returns' spread; a single task is
        /// one group, the same as `batch`.
        case task
        /// Advantages as GAE (or GRPO) computed them.
        case none
    }

    /// What the KL early stop ends (§4.1).
    public enum KLStop: String, ConfigEnum {
        /// No further step of any network on this rollout (as Stable-Baselines3).
        case update
        /// No further policy step; the critic regresses through its remaining epochs (as Spinning Up's PPO).
        case actor
    }

    /// Sum or mean when aggregating log-probabilities (§3.3).
    public enum Aggregation: String, ConfigEnum { case sum, mean }

    /// Diagnostics: what the policy loss sees instead of the estimated advantages.
    public enum DiagnosticAdvantages: String, ConfigEnum {
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

    /// The reward of one decision (§4.4).
    public enum ChunkReward: String, ConfigEnum {
        /// `Σ_h γ^h r_h` inside the chunk, `γ^H` between decisions.
        case discounted
        /// RLinf: `Σ_h r_h`, `γ` between decisions.
        case rlinf
    }

    /// Where the critic lives (§4.4).
    public enum CriticPlacement: String, ConfigEnum {
        case separate
        case obsHead = "obs-head"
        case velocityHead = "velocity-head"
    }

    /// How FPO draws τ (§4.2).
    public enum TauSampling: String, ConfigEnum { case grid, continuous }

    /// The sampler that collects FPO rollouts (§4.2).
    public enum RolloutSampler: String, ConfigEnum {
        case ode
        case flowSDE = "flow-sde"
        case flowNoise = "flow-noise"
    }

    /// The pessimistic value of a Q-ensemble (§4.3).
    public enum EnsemblePessimism: String, ConfigEnum {
        case meanMinusStd = "mean-minus-std"
        case minOfTwo = "min-of-two"
    }
}
