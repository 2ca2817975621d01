import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL
import Foundation

/// Translates the YAML configuration (`FlowTuneConfig`) into the library's configuration types.
/// The CLI schema names knobs the way users write them; the library types carry the same values.
extension FlowTuneConfig {
    /// The policy architecture for an environment with the given widths and task count.
    public func policyConfig(observationDim: Int, actionDim: Int, taskCount: Int) -> FlowPolicyConfig {
        var c = FlowPolicyConfig(observationDim: observationDim, actionDim: actionDim)
        c.chunkLength = policy.chunkLength
        c.denoisingSteps = policy.denoisingSteps
        c.encoderWidths = policy.encoderWidths
        c.velocityWidth = policy.hiddenWidth
        c.velocityDepth = policy.depth
        c.activation = FlowTensor.Activation(rawValue: policy.activation.rawValue) ?? .silu
        c.layerNorm = policy.layerNorm
        c.observationClip = policy.observationClip.map(Float.init)
        c.observationStdFloor = policy.observationStdFloor.map(Float.init)
        c.timeEmbeddingDim = policy.timeEmbeddingDim
        c.conditioning = policy.conditioning == .film ? .film : .concat
        c.taskCount = taskCount > 1 ? taskCount : 0
        c.taskEmbeddingDim = policy.taskEmbeddingDim
        return c
    }

    /// The Flow-Noise noise network of `rl.*`.
    public var noiseNetworkConfig: NoiseNetworkConfig {
        var n = NoiseNetworkConfig()
        n.widths = rl.noiseNetWidths
        n.sigmaMin = Float(rl.sigmaMin)
        n.sigmaMax = Float(rl.sigmaMax)
        n.includeChainState = rl.noiseNetSeesAction
        return n
    }

    /// FPO's settings for `rl.algo` fpo, fpo++ or fpo-lyu (Lyu et al.'s components only for fpo-lyu).
    var fpoSettings: FPOSettings {
        var f = rl.algo == .fpoPlusPlus ? FPOSettings.fpoPlusPlus : FPOSettings.fpo
        f.samples = rl.effectiveFPOSamples
        f.tauSampling = rl.effectiveTauSampling == .grid ? .grid : .continuous
        f.clip = Float(rl.fpoClip)
        f.trustRegion = rl.aspo ? .aspo : .ppo
        f.logRatioClamp = Float(rl.fpoLogRatioClamp)
        f.lossClamp = Float(rl.fpoLossClamp)
        f.lossReduction = rl.fpoLossDims == .sum ? .sum : .mean
        switch rl.fpoRolloutSampler {
        case .ode: f.rolloutSampler = .ode
        case .flowSDE: f.rolloutSampler = .flowSDE(schedule: rl.sdeSchedule == .one ? .oneStep : .allSteps, noiseLevel: Float(rl.noiseLevel))
        case .flowNoise: f.rolloutSampler = .flowNoise
        }
        if rl.algo == .fpoLyu {
            f.creditAssignment = rl.creditAssignment
        }
        return f
    }

    /// The expert collection of `demos.*` (used when `demos.path` is null). Its width is fixed:
    /// which episodes are collected depends on it (environment i is seeded with seed·1_000_003 + i),
    /// and the calibration in docs/results/builtin-tasks.md was measured with 16.
    public var demonstrationCollector: DemonstrationCollector {
        DemonstrationCollector(envID: env.id, numEnvs: 16, noiseStd: Float(demos.expertNoise), successOnly: demos.successOnly)
    }

    /// The final evaluation of `eval.*` with sampler `mode`: `eval.episodes` fixed episodes from `eval.seed`.
    public func evaluator(mode: SamplingMode) -> Evaluator {
        Evaluator(envID: env.id, episodes: eval.episodes, seed: UInt64(eval.seed), mode: mode)
    }

    /// The samplers of the final evaluation (`eval.sampler`): the ODE, the Flow-SDE chain RL
    /// optimises (`rl.sde_schedule`, `rl.noise_level`), or both.
    public var evaluationModes: [SamplingMode] {
        let sde = SamplingMode.flowSDE(schedule: rl.sdeSchedule == .one ? .oneStep : .allSteps, noiseLevel: Float(rl.noiseLevel))
        switch eval.sampler {
        case .ode: return [.ode]
        case .sde: return [sde]
        case .both: return [.ode, sde]
        }
    }

    /// `policy`, with the noise network that Flow-Noise needs added (seeded by the run seed) when it has none.
    public func withNoiseNetworkIfNeeded(_ policy: FlowPolicy, rl: FlowRL.RLConfig) throws -> FlowPolicy {
        guard rl.algorithm == .flowNoise && policy.noiseNetwork == nil else { return policy }
        var rng = RandomGenerator(seed: UInt64(run.seed)).split(key: 0x4015E)
        return try policy.addingNoiseNetwork(noiseNetworkConfig, rng: &rng)
    }

    /// Simulator workers and the trainer's rollout and update threads on this machine's cores
    /// (docs/architecture.md, "The rollout pipeline").
    public var workerPlacement: WorkerPlacement {
        WorkerPlacement(cores: ProcessInfo.processInfo.activeProcessorCount, threads: run.threads,
                        workers: min(env.numEnvs, run.bridgeWorkers ?? PythonBridgeEnv.Configuration.defaultWorkerCount),
                        simulatorWorkers: EnvironmentRegistry.isBridgeID(env.id), updateOnWorkerCores: run.updateOnWorkerCores)
    }

    /// The bridge settings of the RL environments (ignored by built-in ones).
    public var bridgeConfiguration: PythonBridgeEnv.Configuration {
        PythonBridgeEnv.Configuration(workers: max(1, workerPlacement.workers))
    }

    /// The RL trainer's configuration.
    public func rlConfig() throws -> FlowRL.RLConfig {
        var c = FlowRL.RLConfig()
        switch rl.algo {
        case .flowSDE: c.algorithm = .flowSDE
        case .flowNoise: c.algorithm = .flowNoise
        case .grpo:
            c.algorithm = .flowSDE
            c.advantageEstimator = .grpo
        case .fpo, .fpoPlusPlus, .fpoLyu:
            c.algorithm = .fpo
            c.fpo = fpoSettings
            if rl.algo == .fpoLyu && rl.qEnsemble {
                c.criticEnsembleSize = rl.ensembleSize
                c.ensemblePessimism = rl.ensemblePessimism == .meanMinusStd ? .meanMinusStd(beta: Float(rl.ensembleBeta)) : .minOfRandomPair
            }
        }
        c.sdeSchedule = rl.sdeSchedule == .one ? .oneStep : .allSteps
        c.noiseLevel = Float(rl.noiseLevel)
        c.groupSize = rl.grpoGroupSize
        c.iterations = rl.iterations
        c.numEnvs = env.numEnvs
        c.stepsPerIteration = rl.rolloutSteps * policy.chunkLength
        c.gamma = Float(rl.gamma)
        c.lambda = Float(rl.gaeLambda)
        c.rewardDiscounting = rl.chunkReward == .discounted ? .perEnvironmentStep : .perDecision
        c.normalizeAdvantages = rl.normalizeAdvantages
        c.epochs = rl.epochs
        c.minibatchSize = rl.minibatchSize
        c.actorLearningRate = Float(rl.actorLR)
        c.adaptiveActorLearningRate = rl.actorLRSchedule == .klAdaptive
        c.noiseLearningRate = Float(rl.noiseLR)
        c.criticLearningRate = Float(rl.criticLR)
        c.weightDecay = Float(rl.weightDecay)
        c.adamBeta1 = Float(rl.adamBeta1)
        c.adamBeta2 = Float(rl.adamBeta2)
        c.clipLow = Float(rl.clipLow)
        c.clipHigh = Float(rl.clipHigh)
        c.dualClip = rl.dualClip.map(Float.init)
        c.aggregation = LogDensityAggregation(
            granularity: rl.ratioGranularity == .chunk ? .chunk : (rl.ratioGranularity == .step ? .actionStep : .element),
            overSteps: rl.logprobSteps == .sum ? .sum : .mean, overDims: rl.logprobDims == .sum ? .sum : .mean)
        c.gradientClip = Float(rl.gradClip ?? 1e30)
        c.klTarget = rl.klTarget.map(Float.init)
        c.klStopScope = rl.klStop == .actor ? .actor : .update
        c.klStopPerTask = rl.klPerTask
        c.entropyCoefficient = Float(rl.effectiveEntropyCoef)
        c.valueLoss = FlowRL.ValueLoss(kind: rl.valueLoss == .huber ? .huber : .mse, huberDelta: Float(rl.huberDelta),
                                       clip: rl.valueClip.map(Float.init))
        switch rl.criticPlacement {
        case .separate: c.criticPlacement = .separate
        case .obsHead: c.criticPlacement = .observationFeatures
        case .velocityHead: c.criticPlacement = .velocityFeatures
        }
        c.criticWidths = rl.criticWidths
        c.denoisingDiscount = rl.denoiseDiscount.map(Float.init)
        c.freezeEncoder = rl.freezeEncoder
        c.criticWarmupIterations = rl.criticWarmupIterations
        c.shapedReward = env.shapedReward ? true : nil
        c.rolloutTimeLimit = rl.maxEpisodeSteps
        c.latentRho = rl.effectiveLatentExploration ? Float(rl.latentRho) : nil
        c.advantageDiagnostic = rl.diagnosticAdvantages.map {
            switch $0 {
            case .one: return .one
            case .zero: return .zero
            case .positivePart: return .positivePart
            }
        }
        c.demonstrationAnchor = rl.demoLossCoef.map {
            DemonstrationAnchorSettings(coefficient: Float($0), batchSize: rl.demoBatchSize,
                                        timeSampling: sft.timeSampling)
        }
        c.evalEvery = run.evalInterval
        c.evalEpisodes = eval.periodicEpisodes
        c.evaluationMode = evaluationModes[0]  // periodic evaluations use the main sampler
        c.seed = UInt64(run.seed)
        try c.validate()
        return c
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
