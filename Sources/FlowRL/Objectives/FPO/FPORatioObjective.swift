import FlowNN
import FlowPolicy

/// FPO's policy term over a rollout (docs/algorithms.md §4.2–4.3): the flow-matching losses of the
/// stored `(τ, ε)` pairs re-evaluated under the current velocity field, turned into ratios and a
/// clipped (or ASPO) surrogate by `FPOObjective`. With credit assignment every executed action step
/// has its own advantage and ratio term, and the steps an episode never executed are masked out.
struct FPORatioObjective: Objective {
    let data: FPORolloutData
    let objective: FPOObjective
    /// Credit assignment: one (normalised) advantage per action step, and whether it was executed.
    let stepAdvantages: [Float]?
    let stepMask: [Float]?

    init(data: FPORolloutData, stepAdvantages: [Float]?, stepMask: [Float]?, config: RLConfig) {
        self.data = data
        objective = FPOObjective(settings: config.fpo, dualClip: config.dualClip.map(Float.init))
        self.stepAdvantages = stepAdvantages
        self.stepMask = stepMask
    }

    var transitionMajor: Bool { false }

    /// The executed action steps of the rows with credit assignment (the loss is a mask-weighted
    /// mean), else one per row.
    func lossMass(rows: [Int], chunkLength h: Int) -> Double {
        guard let mask = stepMask else { return Double(rows.count) }
        return rows.reduce(0.0) { total, row in (0..<h).reduce(total) { $0 + Double(mask[row * h + $1]) } }
    }

    func terms(_ policy: FlowPolicy, features: Tensor, rows: [Int], advantages: [Float]) -> ObjectiveTerms {
        let fpo = data.rows(rows)
        let new = FPOPairs.stepLosses(policy, observation: policy.prepare(features: features), chunks: fpo.chunks,
                                      pairs: fpo.pairs, reduction: objective.settings.lossReduction)
        let (groupAdvantages, mask) = Self.advantages(decisionAdvantages: advantages, stepAdvantages: stepAdvantages,
                                                      stepMask: stepMask, rows: rows, chunkLength: policy.config.chunkLength)
        let out = objective.loss(new: new, old: fpo.oldLosses, advantages: groupAdvantages, mask: mask)
        let ratios = out.ratio.scalars
        return ObjectiveTerms(policyLoss: out.loss, entropy: nil, ratios: ratios,
                              weights: out.weight.broadcast(to: out.ratio.shape).scalars,
                              logRatios: ratios.map { Float(_log(Double($0))) })  // FPO clamps its ratios: finite
    }

    func clipFraction(_ terms: ObjectiveTerms) -> Double {
        objective.clipFraction(ratio: terms.ratios, mask: terms.weights)
    }

    /// FPO's advantages and mask `[b, G]`: the chunk advantage (`G = 1`), or with credit assignment
    /// each action step's own advantage and whether the step was executed (`G = H`).
    static func advantages(decisionAdvantages: [Float], stepAdvantages: [Float]?, stepMask: [Float]?,
                           rows: [Int], chunkLength h: Int) -> (Tensor, Tensor) {
        let b = rows.count
        guard let stepAdvantages, let stepMask else {
            return (Tensor(decisionAdvantages, shape: [b, 1]), Tensor.ones([b, 1]))
        }
        let slots = rows.flatMap { d in (d * h)..<((d + 1) * h) }
        return (Tensor(slots.map { stepAdvantages[$0] }, shape: [b, h]), Tensor(slots.map { stepMask[$0] }, shape: [b, h]))
    }
}
