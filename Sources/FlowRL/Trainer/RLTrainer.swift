import FlowDistributed
import FlowEnvs
import FlowNN
import FlowPolicy
import Foundation

/// Online RL fine-tuning of a flow policy (π_RL): collect → advantages → PPO update → evaluate.
///
/// ```swift
/// let policy = try FlowPolicy.load("sft.safetensors")
/// let trainer = try RLTrainer(policy: policy, envID: "reach-obstacle", config: RLConfig(), run: RLRun(numEnvs: 64, seed: 0))
/// try trainer.run { metrics in print(metrics["train_success"] ?? .nan) }
/// try trainer.saveCheckpoint(to: "runs/x/latest.safetensors")   // everything needed to resume
/// ```
///
/// Determinism: the environments of iteration i are reset from seeds derived from the run seed and i,
/// sampling and minibatch shuffling draw from two generators whose states are checkpointed, so a run
/// resumed from iteration k's checkpoint reproduces the uninterrupted run bit for bit.
///
/// Data-parallel (docs/distributed.md): given a communicator of N ranks, each rank steps its own
/// `run.numEnvs` environments (environments `rank·E ..< (rank+1)·E` of N·E, with their seeds and noise
/// streams), the update is one update over all ranks' rollouts (gradients summed in rank order), and
/// training statistics and evaluations are the whole job's, the same on every rank.
public final class RLTrainer {
    public let config: RLConfig
    public let run: RLRun
    public let envID: String
    public let policy: FlowPolicy
    public let critic: Critic?
    let model: ActorCritic
    let env: any VectorEnv
    let actorOptimizer: AdamW, noiseOptimizer: AdamW, criticOptimizer: AdamW
    let anchor: DemonstrationAnchor?
    var rolloutRNG: RandomGenerator
    /// The actor's current learning rate: `config.actorLearningRate`, or its KL-adapted value.
    public internal(set) var actorLearningRate: Float {
        get { actorOptimizer.schedule.rate(at: 1) }
        set { actorOptimizer.schedule = .constant(newValue) }
    }
    var updateRNG: RandomGenerator
    /// The task of each training environment for `rl.task_allocation: success` (nil: fixed).
    public internal(set) var taskAllocation: TaskAllocation?
    public internal(set) var iteration = 0
    public internal(set) var environmentSteps = 0
    /// Evaluations so far: (iteration, report).
    public private(set) var evaluations: [(iteration: Int, report: EvaluationReport)] = []
    /// Called with a warning sentence (e.g. a skipped update).
    public var onWarning: (String) -> Void = { _ in }
    /// The parts a pipelined environment (the Python bridge) is stepped in, one part's step in flight
    /// while the next part's chunks are sampled (docs/architecture.md, "The rollout pipeline"). A speed
    /// setting: the rollout is the same bits for any number of parts.
    public var rolloutParts = RLTrainer.defaultRolloutParts
    public static let defaultRolloutParts = 2
    /// The compute threads of the rollout and of the update (`ComputeSettings.threads` is set before
    /// each); nil leaves `ComputeSettings.threads` alone.
    public var placement: WorkerPlacement? = nil
    /// The ranks of a data-parallel job; one process by default.
    let parallel: DataParallel
    public var communicator: any Communicator { parallel.communicator }
    /// The number of ranks that wrote the checkpoint this trainer resumed from (nil: a fresh start).
    public internal(set) var ranksAtCheckpoint: Int? = nil

    /// A trainer on `run.numEnvs` environments `envID` (built-in, or Python simulators run by the
    /// bridge with `bridge`'s workers).
    /// `demonstrations` are needed when `config.demo_loss_coef` is set (and ignored otherwise).
    public convenience init(policy: FlowPolicy, envID: String, config: RLConfig, run: RLRun,
                            demonstrations: DemonstrationDataset? = nil, bridge: PythonBridgeEnv.Configuration = .init(),
                            communicator: any Communicator = SingleProcess()) throws {
        try config.validateAll(path: "rl")
        try run.validate(for: config)
        let options = BuiltinEnvironments.Options(shapedReward: run.shapedReward, maxEpisodeSteps: config.maxEpisodeSteps)
            .observing(for: policy)
        try self.init(policy: policy,
                      environment: EnvironmentRegistry.make(id: envID, numEnvs: run.numEnvs, options: options, bridge: bridge),
                      evaluationEnvID: envID, config: config, run: run, demonstrations: demonstrations,
                      communicator: communicator)
    }

    /// A trainer on a given vector environment (e.g. a wrapper or a bridge environment); evaluation
    /// runs on fresh built-in environments `evaluationEnvID`.
    public init(policy: FlowPolicy, environment: any VectorEnv, evaluationEnvID: String, config: RLConfig,
                run: RLRun, demonstrations: DemonstrationDataset? = nil, communicator: any Communicator = SingleProcess()) throws {
        try config.validateAll(path: "rl")
        try run.validate(for: config)
        parallel = DataParallel(communicator: communicator.size > 1 ? TimedCommunicator(communicator) : communicator)
        self.config = config
        self.run = run
        self.envID = evaluationEnvID
        self.policy = policy
        if config.samplingMode == .flowNoise && policy.noiseNetwork == nil {
            throw RLError.policyMismatch(reason: "Flow-Noise needs a policy with a noise network (add one with FlowPolicy.addingNoiseNetwork)")
        }
        env = environment
        guard env.spec.observationDim == policy.config.observationDim, env.spec.actionDim == policy.config.actionDim else {
            throw RLError.policyMismatch(reason: "environment '\(environment.spec.id)' has observations \(env.spec.observationDim) and actions \(env.spec.actionDim), the policy \(policy.config.observationDim) and \(policy.config.actionDim)")
        }
        if let settings = config.demonstrationAnchor(timeSampling: run.demonstrationTimeSampling) {
            guard let demonstrations else {
                throw RLError.policyMismatch(reason: "the demonstration anchor (demo_loss_coef) needs the demonstrations; pass the ones the policy was fitted to")
            }
            guard demonstrations.observationDim == policy.config.observationDim, demonstrations.actionDim == policy.config.actionDim else {
                throw RLError.policyMismatch(reason: "the anchor's demonstrations have observations \(demonstrations.observationDim) and actions \(demonstrations.actionDim), the policy \(policy.config.observationDim) and \(policy.config.actionDim)")
            }
            anchor = try DemonstrationAnchor(demonstrations: demonstrations, chunkLength: policy.config.chunkLength, settings: settings)
        } else {
            anchor = nil
        }
        var initRNG = RandomGenerator(seed: run.seed).split(key: 0xC817)
        critic = config.advantageEstimator == .gae
            ? Critic(placement: config.criticHeadPlacement, policy: policy, hiddenWidths: config.criticWidths,
                     ensembleSize: config.criticEnsembleSize, rng: &initRNG) : nil
        model = ActorCritic(policy: policy, critic: critic)
        if config.freezeEncoder {
            policy.setFrozen(true, prefix: "encoder")
            policy.setFrozen(true, prefix: "imageEncoder")
            policy.setFrozen(true, prefix: "taskEmbedding")
            policy.setFrozen(true, prefix: "instructionEncoder")
        }
        (actorOptimizer, noiseOptimizer, criticOptimizer) = PPOUpdate.makeOptimizers(config)
        if config.taskAllocation == .success {
            let tasks = env.spec.tasks.count
            let groups = run.numEnvs * communicator.size / (config.advantageEstimator == .grpo ? config.grpoGroupSize : 1)
            guard tasks > 1 else {
                throw RLError.invalidConfig(field: "task_allocation", rule: "success deals environments to the tasks of a multi-task suite; '\(env.spec.id)' has one task, so use fixed")
            }
            guard env.canChooseTasks else { throw RLError.invalidConfig(field: "task_allocation", rule: "success: \(VectorEnvError.cannotChooseTasks(envID: env.spec.id))") }
            guard groups >= tasks else {
                throw RLError.invalidConfig(field: "task_allocation", rule: "success gives every task at least one environment\(config.advantageEstimator == .grpo ? " group" : ""), "
                                            + "so env.num_envs must be at least \(tasks * (run.numEnvs * communicator.size / groups) / communicator.size) for \(tasks) tasks (it is \(run.numEnvs)\(communicator.size > 1 ? " on each of \(communicator.size) ranks" : ""))")
            }
            taskAllocation = TaskAllocation(taskCount: tasks, floor: config.taskAllocationFloor)
        }
        rolloutRNG = RandomGenerator(seed: run.seed).split(key: 0x7011)
        updateRNG = RandomGenerator(seed: run.seed).split(key: 0x0FD8)
    }

    /// Wall-clock metrics of an iteration's phases (`rollout_seconds`, `update_seconds`,
    /// `eval_seconds`): like `wall_time`, they differ from run to run; every other metric is the same
    /// bits for the same seed.
    public static func isTimingMetric(_ key: String) -> Bool { key.hasSuffix("_seconds") }

    /// One iteration; returns its metrics, named as in `metrics.jsonl` (`train_success`, `policy_loss`,
    /// `ratio_mean`, `clip_fraction`, `sigma_mean`, `eval_success`, …), with the seconds each phase
    /// took (`rollout_seconds`: collecting; `update_seconds`: advantages and the update;
    /// `eval_seconds`: a periodic evaluation).
    @discardableResult
    public func runIteration() throws -> [String: Double] {
        let started = DispatchTime.now()
        func seconds(since t: DispatchTime) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9 }
        if let placement { ComputeSettings.threads = placement.rolloutThreads }
        var collector = RolloutCollector(config: config, seed: run.seed, policy: policy, critic: critic, env: env, parts: rolloutParts)
        let ranks = communicator.size, offset = communicator.rank * env.numEnvs
        if ranks > 1 { (collector.environmentOffset, collector.totalEnvironments) = (offset, env.numEnvs * ranks) }
        // The deal of all ranks' environments (the same on every rank); this rank steps its slice.
        let dealt = taskAllocation?.assignment(numEnvs: env.numEnvs * ranks,
                                               groupSize: config.advantageEstimator == .grpo ? config.grpoGroupSize : 1)
        collector.tasks = dealt.map { Array($0[offset..<(offset + env.numEnvs)]) }
        var (rollout, localStatistics) = try collector.collect(iteration: iteration, rng: &rolloutRNG)
        let rs = parallel.merged(localStatistics, taskCount: env.spec.tasks.count)  // the whole job's
        taskAllocation?.record(successes: rs.taskSuccesses, episodes: rs.taskEpisodes)
        if let placement { ComputeSettings.threads = placement.updateThreads }
        let rolloutSeconds = seconds(since: started), collected = DispatchTime.now()
        environmentSteps += rs.environmentSteps
        iteration += 1
        var metrics: [String: Double] = [
            "iteration": Double(iteration), "env_steps": Double(environmentSteps),
            "train_success": rs.successRate, "train_episodes": Double(rs.episodesFinished),
            "train_return": rs.meanReturn, "train_length": rs.meanLength, "decisions": Double(rs.decisions),
            "lr_actor": Double(actorLearningRate), "lr_critic": Double(config.criticLearningRate),
            "lr_noise": Double(config.noiseLearningRate), "rollout_seconds": rolloutSeconds,
        ]
        // Only quantities the run has: no σ for ODE rollouts, no entropy without Flow-Noise's bonus,
        // no disagreement without an ensemble (a flat 0 would read as a measurement in the report).
        if let sigma = rs.meanSigma { metrics["sigma_mean"] = sigma }
        // Per-task training success of a multi-task suite: the aggregate hides one task collapsing.
        let tasks = env.spec.tasks
        if tasks.count > 1 {
            for (task, episodes) in rs.taskEpisodes where task < tasks.count {
                metrics["train_success_\(tasks[task].name)"] = Double(rs.taskSuccesses[task] ?? 0) / Double(episodes)
                metrics["train_episodes_\(tasks[task].name)"] = Double(episodes)
            }
            if let dealt {
                for t in tasks.indices { metrics["task_envs_\(tasks[t].name)"] = Double(dealt.count { $0 == t }) }
            }
        }
        if rs.nonFiniteValues > 0 {
            onWarning("iteration \(iteration): \(rs.nonFiniteValues) NaN/infinite observations or rewards from the environment; update skipped, policy unchanged")
            metrics["update_skipped"] = 1
            return metrics
        }
        if let record = rollout.record {
            // How far the stored chains reach in normalised action space, overall and at each chain
            // index: the action bounds clip only what is executed, never the chain, so chains
            // drifting far out are a suspect when log-ratios collapse (docs/algorithms.md §3.4).
            // Iteration 1's rollout comes from the unchanged initial policy: its values tell a
            // runaway of the SFT field from one that RL caused.
            metrics["chain_abs_max"] = parallel.maximum(Double(record.largestStateMagnitude))
            for (k, m) in (record.largestStateMagnitudeByIndex ?? []).enumerated() {
                metrics["chain_abs_max_x\(k)"] = parallel.maximum(Double(m))
            }
        }
        if let fpo = rollout.fpo {
            // FPO diagnostics: the stored per-pair CFM losses (one pair's loss is the sum over the
            // chunk's steps) and how far the sampled chunks reach in normalised action space.
            let losses = fpo.oldLosses.sum(axis: 2).scalars
            let total = parallel.communicator.sumInRankOrder([Double(losses.reduce(0, +)), Double(losses.count)])
            metrics["fpo_old_loss_mean"] = total[0] / max(total[1], 1)
            metrics["fpo_old_loss_max"] = parallel.maximum(Double(losses.max() ?? 0))
            metrics["chunk_abs_max"] = parallel.maximum(Double(fpo.chunks.largestMagnitude))
        }
        // Data-parallel: the minibatch order comes from a stream every rank shares, everything else the
        // update draws (ensemble pessimism, bootstrap masks, anchor batches) from the rank's own;
        // both derive from the run seed and the iteration alone, so a resumed job draws the same.
        var sharedOrder: RandomGenerator? = nil
        var rankStream = RandomGenerator(seed: 0)
        if ranks > 1 {
            sharedOrder = RandomGenerator(seed: run.seed).split(key: 0x0D15_C0DE).split(key: UInt64(iteration))
            rankStream = RandomGenerator(seed: run.seed).split(key: 0x0D15_1A4E).split(key: UInt64(communicator.rank)).split(key: UInt64(iteration))
        }
        func withUpdateStream<T>(_ body: (inout RandomGenerator) throws -> T) rethrows -> T {
            ranks > 1 ? try body(&rankStream) : try body(&updateRNG)
        }
        if config.advantageEstimator == .gae {
            let stepValues = try stepHeadValues(rollout)
            withUpdateStream { rng in
                rollout.computeGAE(lambda: Float(config.gaeLambda), gamma: Float(config.gamma), pessimism: config.pessimism,
                                       stepHeadValues: stepValues, observationDim: policy.config.observationDim, rng: &rng)
            }
            if config.criticEnsembleSize > 1 {
                let total = communicator.sumInRankOrder([rollout.ensembleDisagreement * Double(rollout.count), Double(rollout.count)])
                metrics["ensemble_disagreement"] = ranks > 1 ? total[0] / max(total[1], 1) : rollout.ensembleDisagreement
            }
        } else {
            rollout.computeGroupRelativeAdvantages()
        }
        if tasks.count > 1 {
            // Per-task mean advantage before normalisation: a critic that blurs tasks shows as a task
            // whose advantages are all of one sign, pushing its policy away from everything it does.
            // The per-task spread says how much of a batch-normalised update each task gets
            // (`rl.advantage_normalization`).
            var sums = [Double](repeating: 0, count: tasks.count), squares = sums, counts = sums
            for (d, a) in rollout.advantages.enumerated() where rollout.taskIndices[d] < tasks.count {
                let t = rollout.taskIndices[d]
                sums[t] += Double(a); squares[t] += Double(a) * Double(a); counts[t] += 1
            }
            if ranks > 1 {
                let all = communicator.sumInRankOrder(sums + squares + counts), t = tasks.count
                (sums, squares, counts) = (Array(all[0..<t]), Array(all[t..<(2 * t)]), Array(all[(2 * t)...]))
            }
            for t in tasks.indices where counts[t] > 0 {
                let mean = sums[t] / counts[t]
                metrics["advantage_mean_\(tasks[t].name)"] = mean
                metrics["advantage_std_\(tasks[t].name)"] = max(squares[t] / counts[t] - mean * mean, 0).squareRoot()
            }
        }
        var update = PPOUpdate(config: config, model: model, actorOptimizer: actorOptimizer,
                               noiseOptimizer: noiseOptimizer, criticOptimizer: criticOptimizer, anchor: anchor)
        update.updatesPolicy = iteration > config.criticWarmupIterations  // `iteration` already counts this one
        update.perTaskDiagnostics = tasks.count > 1
        (update.parallel, update.sharedOrder, update.taskCount) = (parallel, sharedOrder, tasks.count)
        let us: PPOUpdate.Statistics
        let clock = communicator as? TimedCommunicator
        _ = clock?.takeSeconds()
        do {
            us = try withUpdateStream { rng in try update.run(rollout, rng: &rng) }
        } catch let e as PPOUpdateError {
            onWarning("iteration \(iteration): \(e.description)")
            metrics["update_skipped"] = 1
            return metrics
        }
        if config.adaptiveActorLearningRate, update.updatesPolicy, let target = config.klTarget.map(Float.init) {
            let rate = KLAdaptiveLearningRate.next(actorLearningRate, base: config.actorLearningRate,
                                                   stoppedInFirstEpoch: us.stopKL != nil && us.epochsRun == 1,
                                                   ranEveryEpoch: us.stopKL == nil, approxKL: us.approxKL, target: target)
            actorLearningRate = rate  // for the next update; `lr_actor` is the rate this one used
        }
        metrics.merge([
            "policy_loss": us.policyLoss, "value_loss": us.valueLoss,
            "ratio_mean": us.ratioMean, "ratio_min": us.ratioMin, "ratio_max": us.ratioMax,
            "clip_fraction": us.clipFraction, "approx_kl": us.approxKL, "update_epochs": Double(us.epochsRun),
            "update_minibatches": Double(us.minibatches),
            "first_minibatch_ratio_deviation": us.firstMinibatchMaxRatioDeviation,
            "grad_norm_actor": us.actorGradNorm, "grad_norm_critic": us.criticGradNorm,
            "explained_variance": us.explainedVariance,
            "advantage_mean": {
                let total = communicator.sumInRankOrder([Double(rollout.advantages.reduce(0, +)), Double(rollout.count)])
                return total[0] / max(total[1], 1)
            }(),
        ]) { $1 }
        if !parallel.parametersAgree(model) { throw RLError.ranksDiverged(iteration: iteration) }
        if let stopKL = us.stopKL { metrics["approx_kl_at_stop"] = stopKL }
        if tasks.count > 1 {
            for (task, n) in us.taskKLCount where task < tasks.count && n > 0 {
                metrics["approx_kl_\(tasks[task].name)"] = us.taskKLSum[task]! / Double(n)
            }
        }
        if us.criticOnlyMinibatches > 0 {
            metrics["critic_only_minibatches"] = Double(us.criticOnlyMinibatches)
            metrics["critic_only_value_loss"] = us.criticOnlyValueLoss ?? 0
        }
        if anchor != nil { metrics["demo_cfm_loss"] = us.demonstrationLoss }
        if config.usesEntropyBonus { metrics["entropy"] = us.entropy }
        metrics["update_seconds"] = seconds(since: collected)
        // Data-parallel: the update's time in collectives (the gradient sums and the merged ratios),
        // waiting for the slowest rank included.
        if let clock { metrics["communication_seconds"] = clock.takeSeconds() }
        if run.evalEvery > 0 && iteration % run.evalEvery == 0 {
            let evaluationStarted = DispatchTime.now()
            metrics.merge(try evaluate().metrics(prefix: "eval_")) { $1 }
            metrics["eval_seconds"] = seconds(since: evaluationStarted)
        }
        return metrics
    }

    /// Every critic head's value at every action-step slot of the rollout's chunks `[N·H·E]`, for
    /// credit assignment's step-level GAE (nil when the rollout has no executed-step record).
    func stepHeadValues(_ rollout: Rollout) throws -> [Float]? {
        guard let steps = rollout.steps, let critic else { return nil }
        let od = policy.config.observationDim, slots = steps.executed.count * steps.chunkLength
        let tasks = (0..<slots).map { rollout.taskIndices[$0 / steps.chunkLength] }
        let input = try critic.inputs(policy: policy, observations: Tensor(steps.observations, shape: [slots, od]),
                                      taskIndices: tasks, velocityFeatures: nil)
        return critic.allHeads(input).transposed().scalars
    }

    /// Evaluation on the fixed evaluation episodes with `run.evaluationMode`; recorded in `evaluations`.
    @discardableResult
    public func evaluate() throws -> EvaluationReport {
        let report = try Evaluator(envID: envID, episodes: run.evalEpisodes, mode: run.evaluationMode,
                                   batchSize: run.evalNumEnvs ?? Evaluator.defaultBatchSize).evaluate(policy, communicator: communicator)
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
