import FlowNN
import FlowPolicy

/// The decisions of one iteration's rollout, in the order they were sampled, with exactly what the
/// likelihood-ratio update needs (ALGORITHMS.md §7: nothing more).
public struct Rollout {
    /// Observations `[N × obsDim]` at which each decision was sampled.
    public var observations: [Float]
    public var taskIndices: [Int]
    /// The stochastic transitions of every decision's chain.
    public var record: ChainRecord
    /// Per-element log-density of the recorded transitions at sampling time `[N, S, H·D]`.
    public var logDensity: Tensor
    /// Velocity-network features averaged over the denoising steps `[N, width]` (critic input (c)).
    public var velocityFeatures: Tensor
    /// Critic values at sampling time (0 for GRPO).
    public var values: [Float]
    /// Decision rewards (discounted within the chunk, or summed: `RewardDiscounting`).
    public var rewards: [Float]
    /// Discount from each decision to the next (`γ^ℓ` or `γ`).
    public var discounts: [Float]
    /// Value of the state after each decision (0 after a termination).
    public var bootstrapValues: [Float]
    /// True where the decision ends its sequence (episode end or rollout end).
    public var sequenceEnds: [Bool]
    /// Environment of each decision.
    public var environments: [Int]
    /// Filled by the advantage estimator.
    public var advantages: [Float] = []
    public var returns: [Float] = []

    public var count: Int { rewards.count }

    /// Per-decision sequences (decision indices per environment, in time order).
    public var sequences: [[Int]] {
        var byEnv: [Int: [Int]] = [:]
        for (d, e) in environments.enumerated() { byEnv[e, default: []].append(d) }
        return byEnv.keys.sorted().map { byEnv[$0]! }
    }

    /// Runs GAE over each environment's sequence of decisions.
    public mutating func computeGAE(lambda: Float) {
        advantages = [Float](repeating: 0, count: count)
        returns = [Float](repeating: 0, count: count)
        for seq in sequences {
            let (a, r) = GAE.compute(rewards: seq.map { rewards[$0] }, discounts: seq.map { discounts[$0] },
                                     values: seq.map { values[$0] }, bootstrapValues: seq.map { bootstrapValues[$0] },
                                     sequenceEnds: seq.map { sequenceEnds[$0] }, lambda: lambda)
            for (k, d) in seq.enumerated() {
                advantages[d] = a[k]
                returns[d] = r[k]
            }
        }
    }
}

/// What happened in the rollout's environments, for logging.
public struct RolloutStatistics: Sendable {
    public var environmentSteps = 0
    public var decisions = 0
    public var episodesFinished = 0
    public var successes = 0
    public var returnSum: Double = 0
    public var lengthSum: Double = 0
    /// Observations or rewards that were NaN or infinite (the update is skipped when > 0).
    public var nonFiniteValues = 0
    /// Mean noise std of the recorded transitions.
    public var meanSigma: Double = 0

    public var successRate: Double { episodesFinished == 0 ? .nan : Double(successes) / Double(episodesFinished) }
    public var meanReturn: Double { episodesFinished == 0 ? .nan : returnSum / Double(episodesFinished) }
    public var meanLength: Double { episodesFinished == 0 ? .nan : lengthSum / Double(episodesFinished) }
}
