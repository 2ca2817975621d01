import FlowTuneCLI
import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL

/// One row of `flowtune bench compare`: a workload at a batch (or minibatch) size and step count.
///
/// The workloads (measured in docs/results/speed.md), each the same math in every stack (bench/peers/workloads.py mirrors this):
/// - W1 `sample-ode` / `sample-sde`: one K-step chunk per row, ODE (docs/algorithms.md §3.1) or
///   Flow-SDE with one stochastic step (§3.2), keeping what a rollout keeps (recorded transition,
///   its log-density, mean velocity features).
/// - W2 `ppo-sde` / `ppo-noise`: one PPO epoch (§4.1) over `CompareWorkload.rollout` stored chains
///   in minibatches: log-density recompute, clipped surrogate, backward, clipping, AdamW.
/// - W3 `fpo`: one FPO epoch (§4.2) through FlowRL's FPO objective, `CompareWorkload.pairs` (τ, ε)
///   pairs per decision.
/// - W4 `rl-iteration`: one whole RL iteration (collect + update) on `reach-obstacle`.
/// - W5 `encoder`: forward and backward of the pixel policies' image encoder (`EncoderWorkload`).
public struct CompareWorkload: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case sampleODE = "sample-ode", sampleSDE = "sample-sde"
        case ppoSDE = "ppo-sde", ppoNoise = "ppo-noise"
        case fpo
        case rlIteration = "rl-iteration"
        case encoder

        /// W1…W5.
        public var group: String {
            switch self {
            case .sampleODE, .sampleSDE: return "W1"
            case .ppoSDE, .ppoNoise: return "W2"
            case .fpo: return "W3"
            case .rlIteration: return "W4"
            case .encoder: return "W5"
            }
        }

        /// Whether the peers' version uses the Flow-Noise policy (with a noise network).
        var usesNoisePolicy: Bool { self == .ppoNoise }
    }

    public var kind: Kind
    /// Rows sampled together (W1), minibatch size (W2, W3), environments (W4).
    public var batch: Int
    /// Denoising steps K.
    public var steps: Int

    public init(_ kind: Kind, batch: Int, steps: Int = 5) {
        self.kind = kind
        self.batch = batch
        self.steps = steps
    }

    public var description: String {
        switch kind {
        case .sampleODE, .sampleSDE: return "\(kind.group) \(kind.rawValue) K=\(steps) B=\(batch)"
        case .ppoSDE, .ppoNoise, .fpo: return "\(kind.group) \(kind.rawValue) mb=\(batch)"
        case .rlIteration: return "\(kind.group) \(kind.rawValue) \(batch) envs"
        case .encoder: return "\(kind.group) \(kind.rawValue) \(EncoderWorkload.imageSize)×\(EncoderWorkload.imageSize) B=\(batch)"
        }
    }

    /// Decisions in one PPO / FPO epoch (W2, W3).
    public static let rollout = 4096
    /// FPO's Monte-Carlo (τ, ε) pairs per decision (§4.2 default).
    public static let pairs = FPOSettings.fpo.samples
    /// The built-in task of W4 (and whose widths every workload's policy has).
    public static let environment = "reach-obstacle"
    /// Flow-SDE noise level `a_n` (§3.2 default).
    public static let noiseLevel: Float = 0.5

    /// The workload list: W1 at K ∈ {5, 10} × B ∈ {1, 16, 64, 256, 1024}; W2 and W3 at
    /// minibatch 256 and 1024; W4 at the trainer's default 64 environments; W5 at batch 64 and 256.
    public static let standard: [CompareWorkload] =
        [Kind.sampleODE, .sampleSDE].flatMap { kind in
            [5, 10].flatMap { k in [1, 16, 64, 256, 1024].map { CompareWorkload(kind, batch: $0, steps: k) } }
        }
        + [Kind.ppoSDE, .ppoNoise, .fpo].flatMap { kind in [256, 1024].map { CompareWorkload(kind, batch: $0) } }
        + [CompareWorkload(.rlIteration, batch: 64)]
        + [64, 256].map { CompareWorkload(.encoder, batch: $0) }

    /// W4's steps per environment in one iteration (the trainer steps at least one episode's time
    /// limit, RolloutCollector) and the episode time limit, for the peers' numpy port of the task.
    public static func iterationSteps() throws -> (perEnvironment: Int, timeLimit: Int) {
        let limit = try BuiltinEnvironments.make(id: environment, numEnvs: 1).spec.maxEpisodeSteps
        return (max(RLConfig().stepsPerIteration(chunkLength: FlowTuneConfig().policy.chunkLength), limit), limit)
    }

    /// The benchmark's policy: the built-in tasks' default architecture (widths 128, SiLU, FiLM,
    /// H = 5) at `reach-obstacle`'s observation and action widths, so W4 runs the same network.
    public static func policyConfig(steps: Int = 5, noise: Bool = false) throws -> FlowPolicyConfig {
        let defaults = FlowTuneConfig()
        let spec = try BuiltinEnvironments.make(id: environment, numEnvs: 1).spec
        var c = defaults.policyConfig(observationDim: spec.observationDim, actionDim: spec.actionDim, tasks: [])
        c.denoisingSteps = steps
        if noise { c.noiseNetwork = defaults.rl.noiseNetwork }
        return c
    }
}
