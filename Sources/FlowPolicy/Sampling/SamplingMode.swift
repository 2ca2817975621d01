import FlowConfig
/// How a chunk is sampled (docs/algorithms.md §3).
public enum SamplingMode: Sendable, Equatable, Codable {
    /// Deterministic Euler steps of the ODE (§3.1): evaluation, and FPO rollouts whose
    /// exploration comes from the initial noise.
    case ode
    /// π_RL's Flow-SDE (§3.2) with noise level `a_n` and a schedule of stochastic steps.
    case flowSDE(schedule: SDESchedule, noiseLevel: Float)
    /// Flow-Noise (§3.3): every step stochastic with the learned, bounded σ.
    case flowNoise

    /// True when the sampler records a chain whose log-density a PPO ratio can use.
    public var isStochastic: Bool { self != .ode }
}

/// Which denoising steps of Flow-SDE are stochastic.
public enum SDESchedule: String, Codable, ConfigEnum {
    /// π_RL's hybrid: per chain one step `j ∈ {0…K−2}` (never the last) is SDE, the rest ODE.
    /// `j` is drawn independently for every environment's chain and stored with it.
    case oneStep = "one"
    /// Every step is an SDE step (Flow-GRPO style).
    case allSteps = "all"
}
