import FlowNN
import FlowPolicy

/// The trainer's PPO update (`PPOUpdate`: its objectives, KL stop, parameter groups and optimizers)
/// for a policy without a critic, over a rollout whose advantages are already set. `flowtune bench
/// compare` times it as W2 and W3, so the benchmark measures the code that trains, not a copy.
///
/// ```swift
/// var config = RLConfig()
/// config.epochs = 1
/// let update = PolicyUpdate(policy: policy, config: config)
/// try update.run(rollout, rng: &rng)   // rollout.record + logDensity (chains) or rollout.fpo (FPO)
/// ```
public final class PolicyUpdate {
    private let update: PPOUpdate

    public init(policy: FlowPolicy, config: RLConfig) {
        let (actor, noise, critic) = PPOUpdate.makeOptimizers(config)
        update = PPOUpdate(config: config, model: ActorCritic(policy: policy, critic: nil),
                           actorOptimizer: actor, noiseOptimizer: noise, criticOptimizer: critic)
    }

    /// `config.epochs` epochs of minibatch steps over `rollout`.
    public func run(_ rollout: Rollout, rng: inout RandomGenerator) throws {
        _ = try update.run(rollout, rng: &rng)
    }
}

extension Rollout {
    /// A rollout of `count` stored decisions for `PolicyUpdate` alone: their observations, task
    /// indices and advantages, with no rewards, values or episodes (nothing a critic would need).
    /// Set `record` and `logDensity`, or `fpo`, for the objective.
    public static func decisions(observations: [Float], taskIndices: [Int], advantages: [Float]) -> Rollout {
        let n = advantages.count
        var rollout = Rollout(observations: observations, taskIndices: taskIndices, record: nil, logDensity: nil, fpo: nil,
                              velocityFeatures: Tensor.zeros([n, 1]), valueHeads: 1,
                              headValues: [Float](repeating: 0, count: n), headBootstrapValues: [Float](repeating: 0, count: n),
                              rewards: [Float](repeating: 0, count: n), discounts: [Float](repeating: 0, count: n),
                              sequenceEnds: [Bool](repeating: true, count: n), environments: Array(0..<n), steps: nil)
        rollout.advantages = advantages
        return rollout
    }
}
