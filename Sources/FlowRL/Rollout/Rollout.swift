import FlowNN
import FlowPolicy

/// The decisions of one iteration's rollout, in the order they were sampled, with exactly what the
/// chosen objective needs (docs/algorithms.md §7: nothing more): chain transitions and log-densities for
/// the likelihood-ratio objectives, chunks and `(τ, ε)` pairs with their old CFM losses for FPO, and
/// the executed steps' observations only when credit assignment needs step-level values.
public struct Rollout {
    /// Observations `[N × obsDim]` at which each decision was sampled.
    public var observations: [Float]
    public var taskIndices: [Int]
    /// The stochastic transitions of every decision's chain (likelihood-ratio objectives only).
    public var record: ChainRecord?
    /// Per-element log-density of the recorded transitions at sampling time `[N, S, H·D]`.
    public var logDensity: Tensor?
    /// What FPO's ratio needs (FPO only).
    public var fpo: FPORolloutData?
    /// Velocity-network features averaged over the denoising steps `[N, width]` (critic input (c)).
    public var velocityFeatures: Tensor
    /// Critic heads `E` (1 without a Q-ensemble; 0 values for GRPO).
    public var valueHeads: Int
    /// Every head's value at each decision, decision-major `[N·E]`.
    public var headValues: [Float]
    /// Every head's value of the state after each decision `[N·E]` (0 after a termination).
    public var headBootstrapValues: [Float]
    /// Decision rewards (discounted within the chunk, or summed: `RewardDiscounting`).
    public var rewards: [Float]
    /// Discount from each decision to the next (`γ^ℓ` or `γ`).
    public var discounts: [Float]
    /// True where the decision ends its sequence (episode end or rollout end).
    public var sequenceEnds: [Bool]
    /// Environment of each decision.
    public var environments: [Int]
    /// The executed environment steps of every decision (credit assignment only).
    public var steps: ExecutedSteps?
    /// GRPO: the episode of each decision, and each episode's return and group.
    public var episodes: RolloutEpisodes? = nil

    /// Filled by the advantage estimator: one advantage per decision …
    public var advantages: [Float] = []
    /// … and, with credit assignment, one per action step of each chunk `[N·H]` (0 where not executed).
    public var stepAdvantages: [Float]? = nil
    /// Decision-level returns (GRPO: episode returns) for logging.
    public var returns: [Float] = []
    /// The critic's regression rows (GAE only).
    public var valueTargets: ValueTargets? = nil
    /// Mean standard deviation of the ensemble's heads over the decisions (0 for one head).
    public var ensembleDisagreement: Double = 0

    public init(observations: [Float], taskIndices: [Int], record: ChainRecord?, logDensity: Tensor?, fpo: FPORolloutData?,
                velocityFeatures: Tensor, valueHeads: Int, headValues: [Float], headBootstrapValues: [Float],
                rewards: [Float], discounts: [Float], sequenceEnds: [Bool], environments: [Int], steps: ExecutedSteps?) {
        precondition(headValues.count == rewards.count * valueHeads && headBootstrapValues.count == headValues.count,
                     "one value per head and decision")
        self.observations = observations
        self.taskIndices = taskIndices
        self.record = record
        self.logDensity = logDensity
        self.fpo = fpo
        self.velocityFeatures = velocityFeatures
        self.valueHeads = valueHeads
        self.headValues = headValues
        self.headBootstrapValues = headBootstrapValues
        self.rewards = rewards
        self.discounts = discounts
        self.sequenceEnds = sequenceEnds
        self.environments = environments
        self.steps = steps
    }

    public var count: Int { rewards.count }

    /// Per-decision sequences (decision indices per environment, in time order).
    public var sequences: [[Int]] {
        var byEnv: [Int: [Int]] = [:]
        for (d, e) in environments.enumerated() { byEnv[e, default: []].append(d) }
        return byEnv.keys.sorted().map { byEnv[$0]! }
    }

    /// The heads' values of decision `d`.
    func heads(_ values: [Float], _ d: Int) -> ArraySlice<Float> { values[(d * valueHeads)..<((d + 1) * valueHeads)] }
}

/// The episodes of a GRPO rollout (each environment runs one) and the group each belongs to (its
/// environments were reset from one seed), for group-relative advantages.
public struct RolloutEpisodes {
    /// The episode of each decision.
    public var ofDecision: [Int]
    /// Each episode's return.
    public var returns: [Float]
    /// Each episode's group.
    public var group: [Int]

    public init(ofDecision: [Int], returns: [Float], group: [Int]) {
        (self.ofDecision, self.returns, self.group) = (ofDecision, returns, group)
    }
}

/// FPO's per-decision data (docs/algorithms.md §4.2).
public struct FPORolloutData {
    /// The sampled chunks `x_K` in normalised action space `[N, H·D]` (the chain's output, before the
    /// environment clips it).
    public var chunks: Tensor
    /// `N_mc` pairs per chunk.
    public var pairs: FPOPairs
    /// The pairs' CFM losses under the rollout policy, split by action step `[N, M, H]`.
    public var oldLosses: Tensor

    public init(chunks: Tensor, pairs: FPOPairs, oldLosses: Tensor) {
        (self.chunks, self.pairs, self.oldLosses) = (chunks, pairs, oldLosses)
    }

    func rows(_ indices: [Int]) -> FPORolloutData {
        FPORolloutData(chunks: chunks.gatherRows(indices), pairs: pairs.chunks(indices), oldLosses: oldLosses.gatherRows(indices))
    }
}

/// The environment steps each decision executed (credit assignment, docs/algorithms.md §4.3).
public struct ExecutedSteps {
    public let chunkLength: Int

    public init(chunkLength: Int, observations: [Float], rewards: [Float], executed: [Int]) {
        (self.chunkLength, self.observations, self.rewards, self.executed) = (chunkLength, observations, rewards, executed)
    }

    /// The observation before each executed step, `[N·H·obsDim]` (zero rows past `executed`).
    public var observations: [Float]
    /// The reward of each executed step `[N·H]`.
    public var rewards: [Float]
    /// Steps each decision executed (`< H` when its episode or the rollout ended inside the chunk).
    public var executed: [Int]

    /// `[N·H]` 1 where the step was executed.
    public var mask: [Float] {
        executed.flatMap { e in (0..<chunkLength).map { $0 < e ? Float(1) : 0 } }
    }
}

/// The critic's regression rows: decisions, or with credit assignment every executed step.
public struct ValueTargets {
    /// Observations `[R·obsDim]`.
    public var observations: [Float]
    public var taskIndices: [Int]
    /// The decision each row belongs to (minibatches select rows through their decisions).
    public var decision: [Int]
    public var returns: [Float]
    /// Every head's value at collection time, row-major `[R·E]` (value clipping is per head).
    public var oldHeadValues: [Float]
    /// Rows of each decision.
    public var rowsOfDecision: [[Int]]
}
