import FlowNN
import FlowPolicy
import FlowRL

/// W3 of `flowtune bench compare`: one FPO epoch (ALGORITHMS.md §4.2, original per-action ratio)
/// with `N_mc` stored `(τ, ε)` pairs per decision. Per minibatch of `B` decisions the velocity network
/// evaluates all `B·N_mc` pairs in one batched pass (observation features encoded and projected once
/// per decision, then tiled pair-major), giving per-pair CFM losses
/// `ℓ_i = mean_dims ‖v_θ(x_τi, τ_i, o) − (ε_i − a)‖²` (ConditionalFlowMatching.perRowLoss, the loss
/// FPO stores); the ratio is `exp(mean_i ℓ_old,i − mean_i ℓ_θ,i)`, PPO-clipped at 0.05 without dual
/// clip; backward, clip to norm 1, AdamW as in W2.
///
/// Built from FlowPolicy primitives because FlowRL has no FPO objective yet; when it lands, this
/// workload should call it instead.
public final class FPOEpochWorkload {
    public struct Batch {
        public var observations: Tensor
        /// Executed chunks, normalised `[B, H·D]`.
        public var actions: Tensor
        /// Flow times, pair-major: entry `i·B + b` is pair `i` of decision `b`.
        public var times: [Float]
        /// Noises `[N_mc·B, H·D]`, pair-major.
        public var noises: Tensor
        /// `mean_i ℓ_old,i` per decision `[B]`.
        public var oldLoss: Tensor
        public var advantages: Tensor

        public init(observations: Tensor, actions: Tensor, times: [Float], noises: Tensor, oldLoss: Tensor, advantages: Tensor) {
            self.observations = observations
            self.actions = actions
            self.times = times
            self.noises = noises
            self.oldLoss = oldLoss
            self.advantages = advantages
        }

        public var pairs: Int { times.count / actions.shape[0] }

        public func rows(_ idx: [Int]) -> Batch {
            let b = actions.shape[0], n = pairs
            let pairRows = (0..<n).flatMap { i in idx.map { i * b + $0 } }
            return Batch(observations: observations.gatherRows(idx), actions: actions.gatherRows(idx),
                         times: pairRows.map { times[$0] }, noises: noises.gatherRows(pairRows),
                         oldLoss: oldLoss.gatherRows(idx), advantages: advantages.gatherRows(idx))
        }
    }

    public static let clip: Float = 0.05

    let policy: FlowPolicy
    let data: Batch
    let minibatch: Int
    let actorOptimizer = PPOEpochWorkload.optimizer()
    let noiseOptimizer = PPOEpochWorkload.optimizer()
    var rng: RandomGenerator

    /// `rows` decisions in the peers' distribution (observations and noises N(0, I), chunks N(0, I)
    /// clipped to ±2, τ ~ U(0, 1)); the old losses come from the policy itself, as at rollout.
    public init(policy: FlowPolicy, rows: Int, minibatch: Int, pairs: Int = CompareWorkload.pairs, seed: UInt64 = 2) throws {
        self.policy = policy
        self.minibatch = minibatch
        var g = RandomGenerator(seed: seed)
        let c = policy.config
        let observations = Tensor.randomNormal([rows, c.observationDim], rng: &g)
        let actions = Tensor.randomNormal([rows, c.chunkWidth], rng: &g).clamped(min: -2, max: 2)
        let times = (0..<(pairs * rows)).map { _ in g.nextUniform() }
        let noises = Tensor.randomNormal([pairs * rows, c.chunkWidth], rng: &g)
        let advantages = Tensor.randomNormal([rows], rng: &g)
        var data = Batch(observations: observations, actions: actions, times: times, noises: noises,
                         oldLoss: Tensor.zeros([rows]), advantages: advantages)
        var old: [Tensor] = []
        for start in stride(from: 0, to: rows, by: 1024) {
            old.append(try Self.meanPairLoss(policy, data.rows(Array(start..<min(start + 1024, rows)))))
        }
        data.oldLoss = Tensor.concat(old, axis: 0).detached()
        self.data = data
        rng = g
    }

    /// Per-pair CFM losses `[N_mc·B]` (pair-major) in one velocity-network pass.
    public static func pairLosses(_ policy: FlowPolicy, _ batch: Batch) throws -> Tensor {
        let n = batch.pairs
        let features = try policy.encode(observations: batch.observations)
        let observation = policy.prepare(features: features).tiled(n)
        let actions = Tensor.concat([Tensor](repeating: batch.actions, count: n), axis: 0)
        let t = Tensor(batch.times, shape: [batch.times.count, 1])
        let xt = ConditionalFlowMatching.interpolate(action: actions, noise: batch.noises, t: t)
        let v = policy.velocity(xt, observation: observation, time: policy.timeFeatures(batch.times)).velocity
        return ConditionalFlowMatching.perRowLoss(predicted: v, action: actions, noise: batch.noises)
    }

    /// `mean_i ℓ_θ,i` per decision `[B]`.
    public static func meanPairLoss(_ policy: FlowPolicy, _ batch: Batch) throws -> Tensor {
        try pairLosses(policy, batch).reshaped([batch.pairs, batch.actions.shape[0]]).mean(axis: 0)
    }

    /// `mean(PPO-clip(exp(mean ℓ_old − mean ℓ_θ), A))`.
    public static func loss(_ policy: FlowPolicy, _ batch: Batch) throws -> Tensor {
        let ratio = (batch.oldLoss - (try meanPairLoss(policy, batch))).exp()
        return ClippedSurrogate(clipLow: clip, clipHigh: clip, dualClip: nil).loss(ratio: ratio, advantage: batch.advantages).mean()
    }

    public func runEpoch() throws {
        let n = data.observations.shape[0]
        var order = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
        for start in stride(from: 0, to: n, by: minibatch) {
            let batch = data.rows(Array(order[start..<min(start + minibatch, n)]))
            let (_, grads) = try valueAndGrad(policy) { p in try Self.loss(p, batch) }
            PPOEpochWorkload.clipAndStep(policy, grads, actor: actorOptimizer, noise: noiseOptimizer)
        }
    }
}
