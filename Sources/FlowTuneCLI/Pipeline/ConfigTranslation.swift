import FlowDistributed
import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL
import Foundation

/// What the libraries need that combines several sections of `FlowTuneConfig`: the policy
/// architecture (with the environment's widths), the evaluation samplers, the demonstration
/// collector, the worker placement and `RLRun`. The `sft` and `rl` sections are the libraries' own
/// `SFTConfig` and `RLConfig` and need no translation.
extension FlowTuneConfig {
    /// The policy architecture for an environment with the given widths and tasks (a multi-task
    /// policy for more than one; with `policy.task_conditioning: instruction` it reads their instructions).
    public func policyConfig(observationDim: Int, actionDim: Int, tasks: [TaskDescription], image: ImageLayout? = nil) -> FlowPolicyConfig {
        var c = FlowPolicyConfig(observationDim: observationDim, actionDim: actionDim, architecture: policy)
        c.image = image.map { ImageInput(offset: $0.offset, size: $0.size, channels: $0.channels, encoder: policy.imageEncoder) }
        c.taskCount = tasks.count > 1 ? tasks.count : 0
        if c.taskCount > 0 && policy.taskConditioning == .instruction { c.instructions = tasks.map(\.instruction) }
        if c.taskCount > 0 && policy.imageFilm { c.image?.encoder.conditionWidth = c.taskEmbeddingDim }
        return c
    }

    /// The expert collection of `demos.*` (used when `demos.path` is null). Its width is fixed:
    /// which episodes are collected depends on it (environment i is seeded with seed·1_000_003 + i),
    /// and the calibration in docs/results/builtin-tasks.md was measured with 16.
    public var demonstrationCollector: DemonstrationCollector {
        DemonstrationCollector(envID: env.id, numEnvs: 16, noiseStd: Float(demos.expertNoise), successOnly: demos.successOnly,
                               options: .init(observation: env.observation, imageSize: env.imageSize))
    }

    /// The final evaluation of `eval.*` with sampler `mode`: `eval.episodes` fixed episodes from `eval.seed`.
    public func evaluator(mode: SamplingMode) -> Evaluator {
        Evaluator(envID: env.id, episodes: eval.episodes, seed: UInt64(eval.seed), mode: mode, batchSize: eval.numEnvs)
    }

    /// The samplers of the final evaluation (`eval.sampler`): the ODE, the Flow-SDE chain RL
    /// optimises (`rl.sde_schedule`, `rl.noise_level`), or both.
    public var evaluationModes: [SamplingMode] {
        let sde = rl.flowSDESamplingMode
        switch eval.sampler {
        case .ode: return [.ode]
        case .sde: return [sde]
        case .both: return [.ode, sde]
        }
    }

    /// `policy`, with the noise network that Flow-Noise needs added (seeded by the run seed) when it has none.
    public func withNoiseNetworkIfNeeded(_ policy: FlowPolicy) throws -> FlowPolicy {
        guard rl.ratioFamily == .flowNoise && policy.noiseNetwork == nil else { return policy }
        var rng = RandomGenerator(seed: UInt64(run.seed)).split(key: 0x4015E)
        return try policy.addingNoiseNetwork(rl.noiseNetwork, rng: &rng)
    }

    /// Simulator workers and the trainer's rollout and update threads on this machine's cores
    /// (docs/architecture.md, "The rollout pipeline").
    /// `run.threads`, or under mpirun at most this rank's share of the machine's cores.
    public var threadsPerProcess: Int {
        let localRanks = Communicators.localRankCount
        guard localRanks > 1 else { return run.threads }
        return max(1, min(run.threads, ProcessInfo.processInfo.activeProcessorCount / localRanks))
    }

    /// Under mpirun the ranks on one machine share its cores (docs/distributed.md): each rank counts
    /// its share, starts that many workers by default (FLOWTUNE_BRIDGE_WORKERS, when set, is per
    /// process), and keeps its threads within it.
    public var workerPlacement: WorkerPlacement {
        let localRanks = Communicators.localRankCount
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount / localRanks)
        let explicit = ProcessInfo.processInfo.environment["FLOWTUNE_BRIDGE_WORKERS"] != nil  // a count per process, as given
        let defaultWorkers = explicit ? PythonBridgeEnv.Configuration.defaultWorkerCount : max(1, PythonBridgeEnv.Configuration.defaultWorkerCount / localRanks)
        return WorkerPlacement(cores: cores, threads: threadsPerProcess,
                               workers: min(env.numEnvs, run.bridgeWorkers ?? defaultWorkers),
                               simulatorWorkers: EnvironmentRegistry.isBridgeID(env.id), updateOnWorkerCores: run.updateOnWorkerCores)
    }

    /// The bridge settings of the RL environments (ignored by built-in ones).
    public var bridgeConfiguration: PythonBridgeEnv.Configuration {
        PythonBridgeEnv.Configuration(workers: max(1, workerPlacement.workers))
    }

    /// What the run decides around the RL trainer: environments and their reward (`env`), the seed
    /// and the periodic evaluation (`run`, `eval`), and the anchor's flow-time draw (`sft`).
    public var rlRun: RLRun {
        RLRun(numEnvs: env.numEnvs, seed: UInt64(run.seed), shapedReward: env.shapedReward, evalEvery: run.evalInterval,
              evalEpisodes: eval.periodicEpisodes, evaluationMode: evaluationModes[0],  // periodic evaluations use the main sampler
              demonstrationTimeSampling: sft.timeSampling, evalNumEnvs: eval.numEnvs)
    }
}

/// Errors of the command-line pipeline that are not config or file errors.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    case notAvailable(String)
    case missingInput(String)

    public var description: String {
        switch self {
        case .notAvailable(let what): return "Not available yet: \(what)."
        case .missingInput(let what): return what
        }
    }
}
