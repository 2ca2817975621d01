import FlowPolicy

/// The knobs of likelihood-free flow policy optimisation (docs/algorithms.md §4.2) and of Lyu et al.'s
/// components as FlowTune defines them (§4.3), each with its default and meaning.
///
/// ```swift
/// var rl = RLConfig()
/// rl.algorithm = .fpo
/// rl.fpo = .fpoPlusPlus          // per-sample ratios, 16 pairs, continuous τ, clamps
/// rl.fpo.creditAssignment = true // Lyu et al.: per-step advantages inside the chunk
/// ```
public struct FPOSettings: Sendable, Equatable, Codable {
    /// How many ratios a chunk contributes.
    public enum Ratio: String, Sendable, Codable, CaseIterable {
        /// Original FPO: `r = exp(mean_i ℓ_old,i − mean_i ℓ_θ,i)`, one ratio per chunk (per step
        /// with credit assignment).
        case perAction = "per-action"
        /// FPO++: one ratio per `(τ_i, ε_i)` pair, `r_i = exp(clamp_ST(ℓ_old,i − ℓ_θ,i, max))`.
        case perSample = "per-sample"
    }

    /// Where the flow times of the pairs come from.
    public enum TauSampling: String, Sendable, Codable, CaseIterable {
        /// One of the K sampling-grid times `1 − k/K` (original FPO).
        case grid
        /// `τ ~ U(0, 1)` (FPO++).
        case continuous
    }

    /// The trust region applied to each ratio term.
    public enum TrustRegion: String, Sendable, Codable, CaseIterable {
        /// PPO clipping (the FPO++ authors' recommendation for fine-tuning manipulation policies).
        case ppo
        /// ASPO: PPO clipping for `A > 0`, the SPO penalty `−[r·A − |A|/(2ε)·(r − 1)²]` for `A < 0`.
        case aspo
    }

    /// How a pair's CFM loss reduces over the chunk's dimensions.
    ///
    /// The default is the mean: with the squared norm of §4.2 every log-ratio is `H·D` times larger,
    /// and on reach-obstacle (H·D = 10, actor lr 1e-4, clip 0.05) the ratios left the trust region
    /// within the first epoch (ratio max 1.8e4, approx. KL 13) and success fell; with the mean the
    /// same run kept approx. KL near 0.02 and improved (docs/results/fpo.md).
    public enum LossReduction: String, Sendable, Codable, CaseIterable {
        /// `‖v − u‖²`, the squared norm as §4.2 writes it.
        case sum
        /// Mean over dimensions (the FPO playground code's convention); scales log-ratios by `1/(H·D)`.
        case mean
    }

    public var ratio: Ratio = .perAction
    /// `N_mc` pairs per executed chunk (FPO 8, FPO++ 16).
    public var samples: Int = 8
    public var tauSampling: TauSampling = .grid
    /// Clip ε of the FPO ratio (§5: 0.05).
    public var clip: Float = 0.05
    public var trustRegion: TrustRegion = .ppo
    /// Straight-through clamp of each per-sample log-ratio from above (FPO++: 10).
    public var logRatioClamp: Float = 10
    /// Clamp of each pair's CFM loss from above (FPO++: 20; FlowTune applies it to per-action FPO
    /// too, see `FPOObjective`); losses beyond it carry no gradient.
    public var lossClamp: Float = 20
    public var lossReduction: LossReduction = .mean
    /// The sampler that collects rollouts (ODE: exploration comes only from the initial noise).
    public var rolloutSampler: SamplingMode = .ode
    /// Lyu et al. (§4.3): each action step's ratio term is weighted by its own environment-step GAE
    /// advantage instead of one chunk advantage.
    public var creditAssignment = false

    public init() {}

    /// Original FPO: per-action ratio from 8 pairs on the sampling grid, clip 0.05.
    public static var fpo: FPOSettings { FPOSettings() }

    /// FPO++: per-sample ratios from 16 pairs at continuous τ with the straight-through log-ratio
    /// clamp (10) and the CFM-loss clamp (20); PPO clipping.
    public static var fpoPlusPlus: FPOSettings {
        var s = FPOSettings()
        s.ratio = .perSample
        s.samples = 16
        s.tauSampling = .continuous
        return s
    }

    func validate() throws {
        func check(_ ok: Bool, _ field: String, _ rule: String) throws {
            if !ok { throw RLError.invalidConfig(field: field, rule: rule) }
        }
        try check(samples >= 1, "fpo.samples", "must be ≥ 1")
        try check(clip > 0 && clip < 1, "fpo.clip", "must be in (0, 1)")
        try check(logRatioClamp > 0, "fpo.log_ratio_clamp", "must be > 0")
        try check(lossClamp > 0, "fpo.loss_clamp", "must be > 0")
        if case .flowSDE(_, let a) = rolloutSampler { try check(a > 0, "fpo.rollout_sampler", "needs a noise level > 0") }
    }
}
