import FlowNN
import FlowPolicy

/// What a rollout stores of each decision for its objective to re-evaluate later: the denoising
/// chain and its log-density (`ChainRecorder`, for PPO over chains), or FPO's `(τ, ε)` pairs and
/// their flow-matching losses (`FPOPairRecorder`). `RolloutCollector` does the bookkeeping common to
/// every method (decisions, rewards, episodes, values) and hands each batch of samples to one of these.
protocol DecisionRecorder {
    /// Keeps what the objective needs of a batch of sampled decisions; `rowGenerators` are the
    /// decisions' own generators, after sampling (FPO draws its pairs from them).
    mutating func record(_ sample: ChunkSampler.Sample, policy: FlowPolicy, rowGenerators: inout [RandomGenerator])
    /// The recorded decisions, in the order they were recorded, written into `rollout`.
    func finish(into rollout: inout Rollout)
}

/// The chains of likelihood-ratio methods (Flow-SDE, Flow-Noise, GRPO): each decision's stochastic
/// transitions and their per-element log-densities at sampling time.
struct ChainRecorder: DecisionRecorder {
    private var records: [ChainRecord] = []
    private var logDensities: [Tensor] = []

    mutating func record(_ sample: ChunkSampler.Sample, policy: FlowPolicy, rowGenerators: inout [RandomGenerator]) {
        records.append(sample.record!)
        logDensities.append(sample.logDensity!)
    }

    func finish(into rollout: inout Rollout) {
        rollout.record = records.isEmpty ? nil : ChainRecord.concatenate(records)
        rollout.logDensity = logDensities.isEmpty ? nil : Tensor.concat(logDensities, axis: 0)
    }
}

/// FPO's data (docs/algorithms.md §4.2): each decision's sampled chunk, its `(τ, ε)` pairs and their
/// per-step flow-matching losses under the rollout's policy.
struct FPOPairRecorder: DecisionRecorder {
    let settings: FPOSettings
    private var chunks: [Tensor] = []
    private var pairs: [FPOPairs] = []
    private var losses: [Tensor] = []

    init(settings: FPOSettings) { self.settings = settings }

    mutating func record(_ sample: ChunkSampler.Sample, policy: FlowPolicy, rowGenerators: inout [RandomGenerator]) {
        // FPO reinforces the sampled chunk itself (unclipped, like the likelihood-ratio objectives).
        // Reinforcing the bound-clipped chunk instead was measured worse: on reach-obstacle, whose
        // second action dimension sits 0.7 std below its bound, it collapsed success to 1.5% where the
        // sampled chunk reached 56%.
        let executed = sample.normalizedChunk
        let drawn = FPOPairs.draw(settings: settings, policy: policy, rowGenerators: &rowGenerators)
        chunks.append(executed)
        pairs.append(drawn)
        losses.append(FPOPairs.stepLosses(policy, observation: policy.prepare(features: sample.observationFeatures),
                                          chunks: executed, pairs: drawn, reduction: settings.lossReduction))
    }

    func finish(into rollout: inout Rollout) {
        rollout.fpo = FPORolloutData(chunks: Tensor.concat(chunks, axis: 0), pairs: FPOPairs.concatenate(pairs),
                                     oldLosses: Tensor.concat(losses, axis: 0))
    }
}
