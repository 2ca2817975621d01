import FlowTuneCLI
import FlowNN
import FlowPolicy
import FlowRL

/// W2 of `flowtune bench compare`: one PPO epoch of Flow-SDE or Flow-Noise updates (docs/algorithms.md
/// §4.1) over stored chains, timed through the trainer's own update (`PolicyUpdate`, without a
/// critic). The peers in bench/peers do the same work: per minibatch, re-evaluate the chain
/// log-density, form the chunk ratio, take the clipped and dual-clipped surrogate (plus Flow-Noise's
/// entropy bonus), backpropagate, clip the actor and noise-network gradients to norm 1 separately,
/// and apply AdamW (lr 1e-4, betas 0.9/0.95, decay 0.01); FlowTune also computes its per-minibatch
/// ratio diagnostics, as in training. `loss` is the same minibatch loss written out, for the
/// equivalence tests against the peers.
public final class PPOEpochWorkload {
    /// The stored rollout a minibatch is cut from.
    public struct Batch {
        public var observations: Tensor
        public var record: ChainRecord
        /// Old chunk log-probabilities `[B]` (the rollout's, aggregated as the trainer does by default).
        public var oldLogProbability: Tensor
        public var advantages: Tensor

        public init(observations: Tensor, record: ChainRecord, oldLogProbability: Tensor, advantages: Tensor) {
            self.observations = observations
            self.record = record
            self.oldLogProbability = oldLogProbability
            self.advantages = advantages
        }
    }

    public static let learningRate: Float = 1e-4
    public static let gradientClip: Float = 1.0
    public static let entropyCoefficient: Float = 0.005

    /// The same decisions as the trainer stores them, and the trainer's update over them.
    let rollout: Rollout
    let update: PolicyUpdate
    var rng: RandomGenerator

    /// The trainer's configuration of this workload: one epoch of `minibatch`-decision steps with
    /// the default optimizer settings, advantages used as given, no KL stop.
    static func updateConfig(noise: Bool, minibatch: Int) -> RLConfig {
        var config = RLConfig()
        config.algo = noise ? .flowNoise : .flowSDE
        config.epochs = 1
        config.minibatchSize = minibatch
        config.advantageNormalization = .none
        config.klTarget = nil
        config.logprobSteps = .sum  // log-densities summed over steps and dimensions
        config.logprobDims = .sum
        config.actorLR = Double(learningRate)
        config.noiseLR = Double(learningRate)
        config.gradClip = Double(gradientClip)
        config.entropyCoef = Double(entropyCoefficient)
        return config
    }

    /// A rollout of `rows` stored chains in the peers' distribution (x_k ~ N(0, I),
    /// x_{k+1} = 0.8·x_k + 0.1·z); the old log-probabilities come from the policy itself, as at rollout.
    public init(policy: FlowPolicy, rows: Int, minibatch: Int, seed: UInt64 = 1) throws {
        var g = RandomGenerator(seed: seed)
        let c = policy.config, hd = c.chunkWidth, k = c.denoisingSteps
        let noise = policy.noiseNetwork != nil
        let mode: SamplingMode = noise ? .flowNoise : .flowSDE(schedule: .oneStep, noiseLevel: CompareWorkload.noiseLevel)
        let observations = Tensor.randomNormal([rows, c.observationDim], rng: &g)
        var transitions: [ChainRecord.Transition] = []
        for s in 0..<(noise ? k : 1) {
            let before = Tensor.randomNormal([rows, hd], rng: &g)
            let after = before * 0.8 + Tensor.randomNormal([rows, hd], rng: &g) * 0.1
            let steps = noise ? [Int](repeating: s, count: rows) : (0..<rows).map { _ in g.nextInt(below: k - 1) }
            transitions.append(.init(step: steps, before: before, after: after))
        }
        let record = ChainRecord(mode: mode, initialNoise: Tensor.zeros([rows, hd]), transitions: transitions)
        let advantages = Tensor.randomNormal([rows], rng: &g)
        var stored = Rollout.decisions(observations: observations.scalars, taskIndices: [Int](repeating: 0, count: rows),
                                       advantages: advantages.scalars)
        stored.record = record
        var logDensities: [Tensor] = []
        for start in stride(from: 0, to: rows, by: 1024) {
            let idx = Array(start..<min(start + 1024, rows))
            let features = try policy.encode(observations: observations.gatherRows(idx))
            logDensities.append(ChainLogDensity.evaluate(policy, record: record.rows(idx), features: features).logDensity.detached())
        }
        stored.logDensity = Tensor.concat(logDensities, axis: 0)
        rollout = stored
        update = PolicyUpdate(policy: policy, config: Self.updateConfig(noise: noise, minibatch: minibatch))
        rng = g
    }

    /// Chunk log-probabilities `[B]` of the stored chains under the current parameters, and the
    /// Gaussian entropy of the steps (used by Flow-Noise).
    public static func logProbability(_ policy: FlowPolicy, observations: Tensor, record: ChainRecord) throws -> (value: Tensor, entropy: Tensor) {
        let features = try policy.encode(observations: observations)
        let eval = ChainLogDensity.evaluate(policy, record: record, features: features)
        let c = policy.config
        let logProbability = LogDensityAggregation().aggregate(eval.logDensity, initialNoise: record.initialNoise,
                                                               chunkLength: c.chunkLength, actionDim: c.actionDim)
        return (logProbability, GaussianLogDensity.entropy(std: eval.std).mean())
    }

    /// The minibatch loss: `mean(clipped surrogate(exp(log π_θ − log π_old), A))`, minus
    /// 0.005 × entropy for Flow-Noise.
    public static func loss(_ policy: FlowPolicy, _ batch: Batch) throws -> Tensor {
        let (logProbability, entropy) = try logProbability(policy, observations: batch.observations, record: batch.record)
        let ratio = (logProbability - batch.oldLogProbability).exp()
        let surrogate = ClippedSurrogate().loss(ratio: ratio, advantage: batch.advantages).mean()
        return batch.record.mode == .flowNoise ? surrogate - entropy * entropyCoefficient : surrogate
    }

    /// One epoch of the trainer's update: a fresh permutation, then one step per minibatch.
    public func runEpoch() throws {
        try update.run(rollout, rng: &rng)
    }
}
