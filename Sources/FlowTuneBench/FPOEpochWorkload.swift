import FlowTuneCLI
import FlowNN
import FlowPolicy
import FlowRL

/// W3 of `flowtune bench compare`: one FPO epoch (docs/algorithms.md §4.2, original per-action ratio)
/// through FlowRL's FPO objective with the trainer's defaults (`FPOSettings.fpo`: N_mc = 8 pairs,
/// per-dimension mean CFM loss, each pair's loss clamped at 20, PPO clip 0.05, dual clip 3).
/// Per minibatch of `B` decisions the velocity network evaluates all `B·N_mc` pairs in one batched
/// pass (`FPOPairs.stepLosses`, observation features encoded and projected once per decision); the
/// ratio is `exp(mean_i ℓ_old,i − mean_i ℓ_θ,i)`; backward, clip to norm 1, AdamW as in W2. The
/// timed epoch is the trainer's own update (`PolicyUpdate`); `loss` writes the same minibatch loss
/// out for the equivalence tests against the peers.
public final class FPOEpochWorkload {
    public struct Batch {
        public var observations: Tensor
        /// Executed chunks, normalised `[B, H·D]`.
        public var actions: Tensor
        /// The stored `(τ, ε)` pairs, chunk-major.
        public var pairs: FPOPairs
        /// Old per-pair step losses `[B, N_mc, H]`.
        public var oldLoss: Tensor
        public var advantages: Tensor

        public init(observations: Tensor, actions: Tensor, pairs: FPOPairs, oldLoss: Tensor, advantages: Tensor) {
            self.observations = observations
            self.actions = actions
            self.pairs = pairs
            self.oldLoss = oldLoss
            self.advantages = advantages
        }

        public func rows(_ idx: [Int]) -> Batch {
            Batch(observations: observations.gatherRows(idx), actions: actions.gatherRows(idx), pairs: pairs.chunks(idx),
                  oldLoss: oldLoss.gatherRows(idx), advantages: advantages.gatherRows(idx))
        }
    }

    public static let settings = FPOSettings.fpo
    public static let dualClip: Float? = RLConfig().dualClip.map(Float.init)

    /// The same decisions as the trainer stores them, and the trainer's update over them.
    let rollout: Rollout
    let update: PolicyUpdate
    var rng: RandomGenerator

    /// `rows` decisions in the peers' distribution (observations N(0, I), chunks N(0, I) clipped to
    /// ±2) with pairs drawn as the trainer draws them; the old losses come from the policy itself,
    /// as at rollout.
    public init(policy: FlowPolicy, rows: Int, minibatch: Int, seed: UInt64 = 2) throws {
        var g = RandomGenerator(seed: seed)
        let c = policy.config, m = Self.settings.samples
        let observations = Tensor.randomNormal([rows, c.observationDim], rng: &g)
        let actions = Tensor.randomNormal([rows, c.chunkWidth], rng: &g).clamped(min: -2, max: 2)
        let pairs = FPOPairs.draw(chunks: rows, settings: Self.settings, policy: policy, rng: &g)
        let advantages = Tensor.randomNormal([rows], rng: &g)
        var data = Batch(observations: observations, actions: actions, pairs: pairs,
                         oldLoss: Tensor.zeros([rows, m, c.chunkLength]), advantages: advantages)
        var old: [Tensor] = []
        for start in stride(from: 0, to: rows, by: 1024) {
            old.append(try Self.pairLosses(policy, data.rows(Array(start..<min(start + 1024, rows)))))
        }
        data.oldLoss = Tensor.concat(old, axis: 0).detached()
        var stored = Rollout.decisions(observations: observations.scalars, taskIndices: [Int](repeating: 0, count: rows),
                                       advantages: advantages.scalars)
        stored.fpo = FPORolloutData(chunks: actions, pairs: pairs, oldLosses: data.oldLoss)
        rollout = stored
        var config = PPOEpochWorkload.updateConfig(noise: false, minibatch: minibatch)
        config.algo = .fpo  // FPOSettings.fpo: per-action ratio, 8 pairs on the grid
        update = PolicyUpdate(policy: policy, config: config)
        rng = g
    }

    /// Per-pair step losses `[B, N_mc, H]` in one velocity-network pass (FlowRL's FPOPairs).
    public static func pairLosses(_ policy: FlowPolicy, _ batch: Batch) throws -> Tensor {
        let features = try policy.encode(observations: batch.observations)
        return FPOPairs.stepLosses(policy, observation: policy.prepare(features: features), chunks: batch.actions,
                                   pairs: batch.pairs, reduction: settings.lossReduction)
    }

    /// FlowRL's FPO loss with one chunk advantage per decision and every decision counted.
    public static func loss(_ policy: FlowPolicy, _ batch: Batch) throws -> Tensor {
        let b = batch.actions.shape[0]
        return FPOObjective(settings: settings, dualClip: dualClip)
            .loss(new: try pairLosses(policy, batch), old: batch.oldLoss, advantages: batch.advantages.reshaped([b, 1]),
                  mask: Tensor.ones([b, 1])).loss
    }

    /// One epoch of the trainer's update: a fresh permutation, then one step per minibatch.
    public func runEpoch() throws {
        try update.run(rollout, rng: &rng)
    }
}
