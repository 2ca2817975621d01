/// Chunk-level returns and advantages (docs/algorithms.md §4.4).
///
/// One decision executes a chunk for `ℓ ≤ H` environment steps (fewer when the episode ends inside
/// the chunk or the rollout stops). Its reward is the discounted sum of the environment rewards inside
/// the chunk and the discount to the next decision is `γ^ℓ` (`γ^H` for a full chunk) — or, RLinf
/// style, the undiscounted sum with `γ` per decision. GAE then runs over decisions.
public enum RewardDiscounting: String, Sendable, Codable, CaseIterable {
    /// `r = Σ_h γ^h r_h`, discount `γ^ℓ` between decisions (FlowTune's default).
    case perEnvironmentStep = "env-step"
    /// `r = Σ_h r_h`, discount `γ` between decisions (RLinf).
    case perDecision = "decision"

    /// The decision reward and the discount to the next decision for rewards `r_0…r_{ℓ−1}`.
    public func chunkReward(_ rewards: [Float], gamma: Float) -> (reward: Float, discount: Float) {
        switch self {
        case .perEnvironmentStep:
            var total: Float = 0, g: Float = 1
            for r in rewards {
                total += g * r
                g *= gamma
            }
            return (total, g)
        case .perDecision:
            return (rewards.reduce(0, +), gamma)
        }
    }
}

/// Generalised advantage estimation over one environment's sequence of decisions.
///
/// For decision n with reward `r_n`, discount `γ_n` to the next decision, value `V_n` and bootstrap
/// value `B_n` (the value of the state after the decision: the next decision's observation, or the
/// final observation when the episode was truncated or the rollout stopped; 0 when it terminated):
/// `δ_n = r_n + γ_n·B_n − V_n`, `A_n = δ_n + γ_n·λ·(1 − end_n)·A_{n+1}`, `R_n = A_n + V_n`, where
/// `end_n` marks the end of an episode (or of the rollout). With `γ_n = γ`, `B_n = V_{n+1}` and
/// `end_n = done_n` this is the textbook GAE of the reference vectors.
public enum GAE {
    public static func compute(rewards: [Float], discounts: [Float], values: [Float], bootstrapValues: [Float],
                               sequenceEnds: [Bool], lambda: Float) -> (advantages: [Float], returns: [Float]) {
        let n = rewards.count
        precondition(discounts.count == n && values.count == n && bootstrapValues.count == n && sequenceEnds.count == n,
                     "GAE inputs differ in length")
        var adv = [Float](repeating: 0, count: n)
        var next: Float = 0
        for i in stride(from: n - 1, through: 0, by: -1) {
            let delta = rewards[i] + discounts[i] * bootstrapValues[i] - values[i]
            next = delta + discounts[i] * lambda * (sequenceEnds[i] ? 0 : next)
            adv[i] = next
        }
        return (adv, zip(adv, values).map { $0 + $1 })
    }

    /// The textbook form (one environment step per decision): `dones[n]` ends the episode after step n
    /// (no bootstrap), `lastValue` bootstraps the final step.
    public static func textbook(rewards: [Float], values: [Float], dones: [Bool], lastValue: Float,
                                gamma: Float, lambda: Float) -> (advantages: [Float], returns: [Float]) {
        let n = rewards.count
        let bootstrap = (0..<n).map { i in dones[i] ? 0 : (i + 1 < n ? values[i + 1] : lastValue) }
        return compute(rewards: rewards, discounts: [Float](repeating: gamma, count: n), values: values,
                       bootstrapValues: bootstrap, sequenceEnds: dones, lambda: lambda)
    }
}

/// GRPO's group-relative advantage (docs/algorithms.md §4.4): within a group of episodes started from the
/// same seed, `(R − mean R)/(std R + ε)` with the population standard deviation; a group whose returns
/// are all equal gets zero advantage.
public enum GroupRelativeAdvantage {
    public static func compute(groupReturns: [Float], eps: Float = 1e-6) -> [Float] {
        let n = Float(groupReturns.count)
        let mean = groupReturns.reduce(0, +) / n
        let variance = groupReturns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let std = variance.squareRoot()
        return groupReturns.map { ($0 - mean) / (std + eps) }
    }
}

/// Advantages scaled to zero mean and unit standard deviation within each group: `groups[i]` is the
/// group of `a[i]` (a task index, for `rl.advantage_normalization: task`). Each group is normalised
/// exactly as `normalizeAdvantages(_:)` normalises a whole batch, so a one-group call equals it.
public func normalizeAdvantages(_ a: [Float], groups: [Int], eps: Float = 1e-8) -> [Float] {
    precondition(groups.count == a.count, "one group per advantage")
    var members: [Int: [Int]] = [:]
    for (i, g) in groups.enumerated() { members[g, default: []].append(i) }
    var out = [Float](repeating: 0, count: a.count)
    for g in members.keys.sorted() {
        let indices = members[g]!
        for (k, v) in normalizeAdvantages(indices.map { a[$0] }, eps: eps).enumerated() { out[indices[k]] = v }
    }
    return out
}

/// Advantages scaled to zero mean and unit standard deviation over a batch.
public func normalizeAdvantages(_ a: [Float], eps: Float = 1e-8) -> [Float] {
    guard a.count > 1 else { return a.map { _ in 0 } }
    let n = Double(a.count)
    let mean = a.reduce(0.0) { $0 + Double($1) } / n
    let variance = a.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
    let std = variance.squareRoot()
    return a.map { Float((Double($0) - mean) / (std + Double(eps))) }
}
