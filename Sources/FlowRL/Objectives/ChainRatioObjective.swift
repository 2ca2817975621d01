import FlowNN
import FlowPolicy

/// PPO over stored denoising chains (docs/algorithms.md §4.1): the ratio is
/// `exp(log π_θ(chain) − log π_θold(chain))`, the chains' Gaussian log-densities re-evaluated through
/// the same `DenoisingStep` as at rollout (so it is exactly 1 at the first minibatch) and aggregated
/// as `rl.ratio_granularity`, `rl.logprob_steps` and `rl.logprob_dims` say (§3.3), under the clipped
/// and dual-clipped surrogate. With the DPPO denoising discount every transition is its own ratio
/// term, its advantage scaled by `γ_d^(K−k−1)`.
struct ChainRatioObjective: Objective {
    let record: ChainRecord
    /// The rollout's per-transition log-densities.
    let oldLogDensity: Tensor
    let aggregation: LogDensityAggregation
    let surrogate: ClippedSurrogate
    /// `γ_d`, when every transition is its own ratio term.
    let denoisingDiscount: Float?
    /// Whether `terms` returns the chain's step entropy for the entropy bonus (Flow-Noise).
    let entropyBonus: Bool

    init(record: ChainRecord, oldLogDensity: Tensor, config: RLConfig) {
        self.record = record
        self.oldLogDensity = oldLogDensity
        aggregation = config.aggregation
        surrogate = ClippedSurrogate(clipLow: Float(config.clipLow), clipHigh: Float(config.clipHigh), dualClip: config.dualClip.map(Float.init))
        denoisingDiscount = record.transitions.count > 1 ? config.denoisingDiscount : nil
        entropyBonus = config.usesEntropyBonus
    }

    var transitionMajor: Bool { denoisingDiscount != nil }

    /// Every row has the same number of ratio terms.
    func lossMass(rows: [Int], chunkLength: Int) -> Double { Double(rows.count) }

    func terms(_ policy: FlowPolicy, features: Tensor, rows: [Int], advantages: [Float]) -> ObjectiveTerms {
        let record = record.rows(rows)
        let eval = ChainLogDensity.evaluate(policy, record: record, features: features)
        let (logRatio, advantage) = logRatioAndAdvantage(new: eval.logDensity, old: oldLogDensity.gatherRows(rows),
                                                         record: record, advantages: advantages, policy: policy.config)
        let ratio = logRatio.exp()
        let ratios = ratio.scalars
        return ObjectiveTerms(policyLoss: surrogate.loss(ratio: ratio, advantage: advantage).mean(),
                              entropy: entropyBonus ? GaussianLogDensity.entropy(std: eval.std).mean() : nil,
                              ratios: ratios, weights: [Float](repeating: 1, count: ratios.count),
                              logRatios: logRatio.scalars)
    }

    func clipFraction(_ terms: ObjectiveTerms) -> Double {
        Double(surrogate.clipFraction(ratio: Tensor(terms.ratios)))
    }

    /// Log-ratios at the configured granularity and the advantages broadcast to them.
    func logRatioAndAdvantage(new: Tensor, old: Tensor, record: ChainRecord, advantages: [Float],
                              policy: FlowPolicyConfig) -> (Tensor, Tensor) {
        let b = advantages.count, h = policy.chunkLength, ad = policy.actionDim
        if let gd = denoisingDiscount {
            let k = policy.denoisingSteps
            var ratios: [Tensor] = [], advs: [Float] = []
            for t in 0..<record.transitions.count {
                let newT = new.slice(axis: 1, t..<(t + 1)), oldT = old.slice(axis: 1, t..<(t + 1))
                let agg = LogDensityAggregation(granularity: .chunk, overSteps: .sum, overDims: aggregation.overDims)
                ratios.append(agg.aggregate(newT, chunkLength: h, actionDim: ad) - agg.aggregate(oldT, chunkLength: h, actionDim: ad))
                let step = record.transitions[t].step
                advs += (0..<b).map { advantages[$0] * _pow(gd, Float(k - step[$0] - 1)) }
            }
            // Transition-major advantages to match the concatenated ratios.
            return (Tensor.concat(ratios, axis: 0), Tensor(advs))
        }
        let newAgg = aggregation.aggregate(new, initialNoise: record.initialNoise, chunkLength: h, actionDim: ad)
        let oldAgg = aggregation.aggregate(old, initialNoise: record.initialNoise, chunkLength: h, actionDim: ad)
        var advShape = [b]
        switch aggregation.granularity {
        case .chunk: break
        case .actionStep: advShape = [b, 1]
        case .element: advShape = [b, 1, 1]
        }
        return (newAgg - oldAgg, Tensor(advantages, shape: advShape))
    }
}
