import FlowEnvs
import FlowNN
import FlowPolicy
import Foundation

/// Online RL fine-tuning of a flow policy (π_RL): collect → advantages → PPO update → evaluate.
///
/// ```swift
/// let policy = try FlowPolicy.load("sft.safetensors")
/// let trainer = try RLTrainer(policy: policy, envID: "reach-obstacle", config: RLConfig())
/// try trainer.run { metrics in print(metrics["rollout/success"] ?? .nan) }
/// try trainer.saveCheckpoint(to: "runs/x/latest.safetensors")   // everything needed to resume
/// ```
///
/// Determinism: the environments of iteration i are reset from seeds derived from the run seed and i,
/// sampling and minibatch shuffling draw from two generators whose states are checkpointed, so a run
/// resumed from iteration k's checkpoint reproduces the uninterrupted run bit for bit.
public final class RLTrainer {
    public let config: RLConfig
    public let envID: String
    public let policy: FlowPolicy
    public let critic: Critic?
    let model: ActorCritic
    let env: any VectorEnv
    let actorOptimizer: AdamW, noiseOptimizer: AdamW, criticOptimizer: AdamW
    var rolloutRNG: RandomGenerator
    var updateRNG: RandomGenerator
    public internal(set) var iteration = 0
    public internal(set) var environmentSteps = 0
    /// Evaluations so far: (iteration, report).
    public private(set) var evaluations: [(iteration: Int, report: EvaluationReport)] = []
    /// Called with a warning sentence (e.g. a skipped update).
    public var onWarning: (String) -> Void = { _ in }

    /// A trainer on `config.numEnvs` built-in environments `envID`.
    public convenience init(policy: FlowPolicy, envID: String, config: RLConfig) throws {
        try config.validate()
        try self.init(policy: policy, environment: BuiltinEnvironments.make(id: envID, numEnvs: config.numEnvs),
                      evaluationEnvID: envID, config: config)
    }

    /// A trainer on a given vector environment (e.g. a wrapper or a bridge environment); evaluation
    /// runs on fresh built-in environments `evaluationEnvID`.
    public init(policy: FlowPolicy, environment: any VectorEnv, evaluationEnvID: String, config: RLConfig) throws {
        try config.validate()
        self.config = config
        self.envID = evaluationEnvID
        self.policy = policy
        if config.algorithm == .flowNoise && policy.noiseNetwork == nil {
            throw RLError.policyMismatch(reason: "Flow-Noise needs a policy with a noise network (add one with FlowPolicy.addingNoiseNetwork)")
        }
        env = environment
        guard env.spec.observationDim == policy.config.observationDim, env.spec.actionDim == policy.config.actionDim else {
            throw RLError.policyMismatch(reason: "environment '\(environment.spec.id)' has observations \(env.spec.observationDim) and actions \(env.spec.actionDim), the policy \(policy.config.observationDim) and \(policy.config.actionDim)")
        }
        var initRNG = RandomGenerator(seed: config.seed).split(key: 0xC817)
        critic = config.advantageEstimator == .gae
            ? Critic(placement: config.criticPlacement, policy: policy, hiddenWidth: config.criticWidth, rng: &initRNG) : nil
        model = ActorCritic(policy: policy, critic: critic)
        if config.freezeEncoder {
            policy.setFrozen(true, prefix: "encoder")
            policy.setFrozen(true, prefix: "taskEmbedding")
        }
        (actorOptimizer, noiseOptimizer, criticOptimizer) = PPOUpdate.makeOptimizers(config)
        rolloutRNG = RandomGenerator(seed: config.seed).split(key: 0x7011)
        updateRNG = RandomGenerator(seed: config.seed).split(key: 0x0FD8)
    }

    /// One iteration; returns its metrics (names follow `metrics.jsonl`: `rollout/…`, `loss/…`, `ppo/…`).
    @discardableResult
    public func runIteration() throws -> [String: Double] {
        let collector = RolloutCollector(config: config, policy: policy, critic: critic, env: env)
        var (rollout, rs) = try collector.collect(iteration: iteration, rng: &rolloutRNG)
        environmentSteps += rs.environmentSteps
        iteration += 1
        var metrics: [String: Double] = [
            "iteration": Double(iteration), "env_steps": Double(environmentSteps),
            "rollout/success": rs.successRate, "rollout/episodes": Double(rs.episodesFinished),
            "rollout/return": rs.meanReturn, "rollout/length": rs.meanLength, "rollout/decisions": Double(rs.decisions),
            "rollout/sigma": rs.meanSigma,
            "lr/actor": Double(config.actorLearningRate), "lr/critic": Double(config.criticLearningRate),
            "lr/noise": Double(config.noiseLearningRate),
        ]
        if rs.nonFiniteValues > 0 {
            onWarning("iteration \(iteration): \(rs.nonFiniteValues) NaN/infinite observations or rewards from the environment; update skipped, policy unchanged")
            metrics["update/skipped"] = 1
            return metrics
        }
        if config.advantageEstimator == .gae { rollout.computeGAE(lambda: config.lambda) }
        let update = PPOUpdate(config: config, model: model, actorOptimizer: actorOptimizer,
                               noiseOptimizer: noiseOptimizer, criticOptimizer: criticOptimizer)
        let us: PPOUpdate.Statistics
        do {
            us = try update.run(rollout, rng: &updateRNG)
        } catch let e as PPOUpdateError {
            onWarning("iteration \(iteration): \(e.description)")
            metrics["update/skipped"] = 1
            return metrics
        }
        metrics.merge([
            "loss/policy": us.policyLoss, "loss/value": us.valueLoss, "loss/entropy": us.entropy,
            "ppo/ratio_mean": us.ratioMean, "ppo/ratio_min": us.ratioMin, "ppo/ratio_max": us.ratioMax,
            "ppo/clip_fraction": us.clipFraction, "ppo/approx_kl": us.approxKL, "ppo/epochs": Double(us.epochsRun),
            "ppo/first_minibatch_ratio_deviation": us.firstMinibatchMaxRatioDeviation,
            "grad/actor_norm": us.actorGradNorm, "grad/critic_norm": us.criticGradNorm,
            "value/explained_variance": us.explainedVariance,
            "advantage/mean": Double(rollout.advantages.reduce(0, +)) / Double(max(rollout.count, 1)),
        ]) { $1 }
        if config.evalEvery > 0 && iteration % config.evalEvery == 0 {
            let report = try evaluate()
            metrics["eval/success"] = report.successRate
            metrics["eval/episodes"] = Double(report.episodes)
            metrics["eval/successes"] = Double(report.successes)
            metrics["eval/return"] = report.meanReturn
            metrics["eval/length"] = report.meanLength
        }
        return metrics
    }

    /// Deterministic ODE evaluation on the fixed evaluation episodes; recorded in `evaluations`.
    @discardableResult
    public func evaluate() throws -> EvaluationReport {
        let report = try Evaluator(envID: envID, episodes: config.evalEpisodes).evaluate(policy)
        evaluations.append((iteration, report))
        return report
    }

    /// Runs the remaining iterations, calling `onIteration` after each; `shouldStop` is polled
    /// between iterations (Ctrl-C handling lives in the CLI).
    public func run(shouldStop: () -> Bool = { false }, onIteration: ([String: Double]) -> Void = { _ in }) throws {
        while iteration < config.iterations && !shouldStop() {
            onIteration(try runIteration())
        }
    }

    deinit { env.close() }
}
