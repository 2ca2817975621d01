import FlowTuneCLI
import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL

/// W4 of `flowtune bench compare`: whole RL iterations of the trainer (collect with one-step
/// Flow-SDE on `reach-obstacle`, GAE with the separate critic, 4 PPO epochs at minibatch 256 —
/// RLConfig's defaults — with no KL stop, as the peers), evaluation switched off; throughput in environment steps per second.
public final class RLIterationWorkload {
    let trainer: RLTrainer
    /// Environment steps taken by the last `runIteration()`.
    public private(set) var lastSteps = 0

    public init(policy: FlowPolicy, numEnvs: Int) throws {
        var config = RLConfig()
        config.klTarget = nil
        trainer = try RLTrainer(policy: policy, envID: CompareWorkload.environment, config: config,
                                run: RLRun(numEnvs: numEnvs, seed: 0))
    }

    public func runIteration() throws {
        let before = trainer.environmentSteps
        try trainer.runIteration()
        lastSteps = trainer.environmentSteps - before
    }
}
