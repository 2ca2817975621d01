import FlowNN
import FlowPolicy

/// The policy term of one PPO minibatch (docs/algorithms.md §4): a ratio between the current and
/// the rollout's policy for every stored decision, and the surrogate built from it. FlowTune has
/// two kinds, chosen by what the rollout stored:
/// - `ChainRatioObjective`: the likelihood ratio of the stored denoising chains (Flow-SDE,
///   Flow-Noise, GRPO; §4.1);
/// - `FPORatioObjective`: FPO's ratio, the change of the flow-matching loss on stored `(τ, ε)` pairs
///   (FPO, FPO++, Lyu et al.; §4.2–4.3).
///
/// `PPOUpdate` runs the epochs and minibatches, adds the value loss and the anchor, and decides the
/// KL stop from the ratios an objective returns; the objective owns only its own term.
protocol Objective {
    /// The differentiable policy loss of minibatch `rows` (decision indices into the rollout) under
    /// `policy`, whose encoded observation `features` the caller computed for the same rows, with
    /// the rows' (normalised) decision advantages `advantages`.
    func terms(_ policy: FlowPolicy, features: Tensor, rows: [Int], advantages: [Float]) -> ObjectiveTerms
    /// The fraction of ratio terms that the clipping cut off.
    func clipFraction(_ terms: ObjectiveTerms) -> Double
    /// Whether the ratios are transition-major (`[S·b]`: every denoising transition its own term)
    /// rather than row-major, so a ratio's task is found the right way.
    var transitionMajor: Bool { get }
    /// What the minibatch loss of `rows` is a mean over, up to a constant factor (data-parallel
    /// training weights each rank's loss by its share of this; docs/distributed.md).
    func lossMass(rows: [Int], chunkLength: Int) -> Double
}

/// What an objective computed for one minibatch.
struct ObjectiveTerms {
    /// The surrogate loss (to be minimised).
    var policyLoss: Tensor
    /// The mean entropy of the chain's Gaussian steps when the method adds an entropy bonus (the
    /// caller subtracts `entropy_coef ×` it); nil otherwise.
    var entropy: Tensor?
    /// Every ratio term, the weight with which it enters the loss (0 for the unexecuted steps of
    /// credit assignment), and its logarithm (finite: both kinds keep their ratios positive).
    var ratios: [Float]
    var weights: [Float]
    var logRatios: [Float]
}
