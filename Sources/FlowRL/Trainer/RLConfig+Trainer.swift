import FlowPolicy

/// What the trainer derives from the `rl:` knobs: the family of likelihood ratio a method uses, its
/// sampler and objective settings, and the Float values the kernels compute with. Nothing here is a
/// knob of its own: each property follows from `RLConfig`'s fields (docs/algorithms.md §3–4).
extension RLConfig {
    /// The ratio the update optimises: a Gaussian chain's log-probability (Flow-SDE, also under
    /// GRPO), a learned-noise chain's (Flow-Noise), or FPO's CFM-loss difference (FPO, FPO++, Lyu).
    public enum RatioFamily: String, Sendable, Codable, CaseIterable {
        case flowSDE = "flow-sde"
        case flowNoise = "flow-noise"
        case fpo
    }

    public enum AdvantageEstimator: String, Sendable, Codable, CaseIterable {
        /// GAE over decisions with a learned critic.
        case gae
        /// Group-relative advantages of whole episodes (no critic).
        case grpo
    }

    public var ratioFamily: RatioFamily {
        switch algo {
        case .flowSDE, .grpo: return .flowSDE
        case .flowNoise: return .flowNoise
        case .fpo, .fpoPlusPlus, .fpoLyu: return .fpo
        }
    }

    public var advantageEstimator: AdvantageEstimator { algo == .grpo ? .grpo : .gae }

    /// FPO's settings for fpo, fpo++ and fpo-lyu (Lyu et al.'s credit assignment only for fpo-lyu).
    public var fpo: FPOSettings {
        var f = algo == .fpoPlusPlus ? FPOSettings.fpoPlusPlus : FPOSettings.fpo
        f.samples = effectiveFPOSamples
        f.tauSampling = effectiveTauSampling == .grid ? .grid : .continuous
        f.clip = Float(fpoClip)
        f.trustRegion = aspo ? .aspo : .ppo
        f.logRatioClamp = Float(fpoLogRatioClamp)
        f.lossClamp = Float(fpoLossClamp)
        f.lossReduction = fpoLossDims == .sum ? .sum : .mean
        switch fpoRolloutSampler {
        case .ode: f.rolloutSampler = .ode
        case .flowSDE: f.rolloutSampler = flowSDESamplingMode
        case .flowNoise: f.rolloutSampler = .flowNoise
        }
        if algo == .fpoLyu { f.creditAssignment = creditAssignment }
        return f
    }

    /// The sampler of rollouts.
    public var samplingMode: SamplingMode {
        switch ratioFamily {
        case .flowSDE: return flowSDESamplingMode
        case .flowNoise: return .flowNoise
        case .fpo: return fpo.rolloutSampler
        }
    }

    /// The Flow-SDE chain of `sde_schedule` and `noise_level`, whatever the method (the SDE evaluation sampler).
    public var flowSDESamplingMode: SamplingMode { .flowSDE(schedule: sdeSchedule, noiseLevel: Float(noiseLevel)) }

    /// Log-density aggregation and ratio granularity (§4.1). A chain's log-density is averaged over
    /// its stochastic steps by default (as RLinf does): summed, an all-steps chunk ratio adds K·H·D
    /// Gaussian terms, and with the per-minibatch KL stop an update then takes one or two steps
    /// before the stop (docs/results/rl-stability.md).
    public var aggregation: LogDensityAggregation {
        LogDensityAggregation(granularity: ratioGranularity == .chunk ? .chunk : (ratioGranularity == .step ? .actionStep : .element),
                              overSteps: logprobSteps == .sum ? .sum : .mean, overDims: logprobDims == .sum ? .sum : .mean)
    }

    public var actorLearningRate: Float { Float(actorLR) }
    public var noiseLearningRate: Float { Float(noiseLR) }
    public var criticLearningRate: Float { Float(criticLR) }
    /// Adapt the actor's rate between updates to the KL stop (`KLAdaptiveLearningRate`).
    public var adaptiveActorLearningRate: Bool { actorLRSchedule == .klAdaptive }
    /// The global gradient-norm clip of each network; none is a threshold no gradient reaches.
    public var gradientClip: Float { Float(gradClip ?? 1e30) }
    /// The entropy bonus's weight (Flow-Noise, §3.3).
    public var entropyCoefficient: Float { Float(effectiveEntropyCoef) }
    /// Whether the policy loss carries Flow-Noise's entropy bonus (and the run logs entropy).
    public var usesEntropyBonus: Bool { ratioFamily == .flowNoise && entropyCoefficient > 0 }
    /// Weight of the value loss in the joint loss (a constant of the method, not a knob).
    public var valueCoefficient: Float { 0.5 }
    /// Probability that an ensemble head regresses on a given row of a minibatch (bootstrap masks).
    public var ensembleBootstrapProbability: Float { 0.5 }

    public var rewardDiscounting: RewardDiscounting { chunkReward == .discounted ? .perEnvironmentStep : .perDecision }

    /// The critic's loss.
    public var criticLoss: ValueLoss {
        ValueLoss(kind: valueLoss, huberDelta: Float(huberDelta), clip: valueClip.map(Float.init))
    }

    public var criticHeadPlacement: Critic.Placement {
        switch criticPlacement {
        case .separate: return .separate
        case .obsHead: return .observationFeatures
        case .velocityHead: return .velocityFeatures
        }
    }

    /// Critic heads: Lyu et al.'s Q-ensemble for fpo-lyu with `q_ensemble`, one head otherwise.
    public var criticEnsembleSize: Int { algo == .fpoLyu && qEnsemble ? ensembleSize : 1 }

    /// How an ensemble's heads combine into the value advantages use.
    public var pessimism: FlowRL.EnsemblePessimism {
        guard criticEnsembleSize > 1 else { return .meanMinusStd(beta: 1) }
        return ensemblePessimism == .meanMinusStd ? .meanMinusStd(beta: Float(ensembleBeta)) : .minOfRandomPair
    }

    /// DPPO's denoising discount `γ_d` for all-steps chains.
    public var denoisingDiscount: Float? { denoiseDiscount.map(Float.init) }

    /// The AR(1) correlation of an episode's successive initial noises under latent exploration.
    public var latentCorrelation: Float? { effectiveLatentExploration ? Float(latentRho) : nil }

    /// The behaviour-cloning anchor of `demo_loss_coef`, drawing flow times as SFT did.
    public func demonstrationAnchor(timeSampling: ConditionalFlowMatching.TimeSampling) -> DemonstrationAnchorSettings? {
        demoLossCoef.map { DemonstrationAnchorSettings(coefficient: Float($0), batchSize: demoBatchSize, timeSampling: timeSampling) }
    }

    /// Flow-Noise's σ network (§3.3) of `sigma_min`, `sigma_max`, `noise_net_widths` and `noise_net_sees_action`.
    public var noiseNetwork: NoiseNetworkConfig {
        var n = NoiseNetworkConfig()
        n.widths = noiseNetWidths
        n.sigmaMin = Float(sigmaMin)
        n.sigmaMax = Float(sigmaMax)
        n.includeChainState = noiseNetSeesAction
        return n
    }

    /// Environment steps per environment per iteration: `rollout_steps` decisions of `chunkLength` steps.
    public func stepsPerIteration(chunkLength: Int) -> Int { rolloutSteps * chunkLength }
}
