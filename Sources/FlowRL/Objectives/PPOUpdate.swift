import Foundation
import FlowDistributed
import FlowNN
import FlowPolicy

/// The policy and its critic as one module, so one `valueAndGrad` call differentiates the joint loss
/// and gradients come back named `policy.…` and `critic.…`.
final class ActorCritic: Module {
    let policy: FlowPolicy
    let critic: Critic?

    init(policy: FlowPolicy, critic: Critic?) {
        self.policy = policy
        self.critic = critic
    }
}

/// The PPO update (docs/algorithms.md §4): several epochs of minibatches over a rollout. Each
/// minibatch takes the policy term of its `Objective` (chain likelihood ratios for Flow-SDE,
/// Flow-Noise and GRPO; FPO's flow-matching-loss ratios for the FPO family), adds the entropy bonus,
/// the demonstration anchor and the clipped Huber value loss (per head, on bootstrap masks, for a
/// Q-ensemble), tests the KL stop on the objective's ratios, and steps the actor, the noise network
/// and the critic, each with its own AdamW, learning rate and gradient clip (`ParameterGroups`).
struct PPOUpdate {
    let config: RLConfig
    let model: ActorCritic
    let actorOptimizer: AdamW
    let noiseOptimizer: AdamW
    let criticOptimizer: AdamW
    /// The behaviour-cloning anchor on the demonstrations, if configured.
    var anchor: DemonstrationAnchor? = nil
    /// False during the critic warm-up: only the critic learns.
    var updatesPolicy = true
    /// Whether to split the ratio diagnostics by task (the environment is a multi-task suite); off,
    /// a single-task update does not repeat the pooled diagnostics for its one task.
    var perTaskDiagnostics = false
    /// The ranks of a data-parallel job (docs/distributed.md); one process unless the trainer was
    /// given a communicator of several.
    var parallel = DataParallel(communicator: SingleProcess())
    /// Data-parallel jobs only: the stream every rank draws the minibatch order from (the same state
    /// on every rank; `run`'s own generator is the rank's own, for bootstrap masks and anchor batches).
    var sharedOrder: RandomGenerator? = nil
    /// The suite's task count (`advantage_normalization: task` across ranks).
    var taskCount = 1

    struct Statistics {
        var policyLoss = 0.0, valueLoss = 0.0, entropy = 0.0
        var ratioMean = 0.0, ratioMin = Double.infinity, ratioMax = -Double.infinity
        var clipFraction = 0.0, approxKL = 0.0
        var actorGradNorm = 0.0, criticGradNorm = 0.0
        /// Minibatches that stepped the policy (the averages above are over these).
        var minibatches = 0
        /// Minibatches that stepped only the critic, after the KL stop with scope `.actor`.
        var criticOnlyMinibatches = 0
        var firstMinibatchMaxRatioDeviation = 0.0
        /// Epochs begun (the last one may have been cut short by the KL stop).
        var epochsRun = 0
        /// The trimmed approximate KL of the minibatch that stopped the update early (nil: it ran
        /// every epoch); that minibatch took no step and is not in the averages.
        var stopKL: Double? = nil
        /// Mean value loss of the critic-only minibatches (nil: there were none).
        var criticOnlyValueLoss: Double? = nil
        var explainedVariance = Double.nan
        /// Sum and count of the k3 KL terms of each task's ratios over the update's minibatches
        /// (multi-task suites: whether one task's policy moves far more than the average shows).
        var taskKLSum: [Int: Double] = [:], taskKLCount: [Int: Int] = [:]
        /// Mean CFM loss of the anchor's demonstration minibatches.
        var demonstrationLoss = 0.0
    }

    static func makeOptimizers(_ config: RLConfig) -> (actor: AdamW, noise: AdamW, critic: AdamW) {
        let betas = (Float(config.adamBeta1), Float(config.adamBeta2))
        return (AdamW(schedule: .constant(config.actorLearningRate), betas: betas, weightDecay: Float(config.weightDecay)),
                AdamW(schedule: .constant(config.noiseLearningRate), betas: betas, weightDecay: Float(config.weightDecay)),
                AdamW(schedule: .constant(config.criticLearningRate), betas: betas, weightDecay: 0))
    }

    /// The objective the rollout was collected for: stored `(τ, ε)` pairs mean FPO, stored chains PPO
    /// over chain likelihoods.
    func objective(for rollout: Rollout, stepAdvantages: [Float]?, stepMask: [Float]?) -> any Objective {
        if let fpo = rollout.fpo {
            return FPORatioObjective(data: fpo, stepAdvantages: stepAdvantages, stepMask: stepMask, config: config)
        }
        return ChainRatioObjective(record: rollout.record!, oldLogDensity: rollout.logDensity!, config: config)
    }

    /// `advantages` scaled as `rl.advantage_normalization` asks, over all ranks' advantages.
    func normalized(_ advantages: [Float], tasks: [Int]) -> [Float] {
        guard parallel.isDistributed else { return Self.normalized(advantages, tasks: tasks, config.advantageNormalization) }
        switch config.advantageNormalization {
        case .batch: return parallel.normalized(advantages, groups: nil, groupCount: 1)
        case .task: return parallel.normalized(advantages, groups: tasks, groupCount: taskCount)
        case .none: return advantages
        }
    }

    /// This rank's shares of a minibatch's policy loss (by `Objective.lossMass`) and value loss (by rows).
    func minibatchShares(policyMass: Double, valueRows: Int) -> (policy: Double, value: Double) {
        let totals = parallel.communicator.sumInRankOrder([policyMass, Double(valueRows)])
        return (totals[0] > 0 ? policyMass / totals[0] : 0, totals[1] > 0 ? Double(valueRows) / totals[1] : 0)
    }

    /// Every rank's ratio terms of a minibatch, concatenated in rank order (the same on every rank), with
    /// their tasks: one gather of (ratio, weight, log-ratio, task) quadruples.
    func mergedTerms(_ local: ObjectiveTerms, tasks: [Int]) -> (ObjectiveTerms, [Int]) {
        var packed: [Float] = []
        packed.reserveCapacity(4 * local.ratios.count)
        for i in local.ratios.indices {
            packed += [local.ratios[i], local.weights[i], local.logRatios[i], Float(tasks.indices.contains(i) ? tasks[i] : 0)]
        }
        let all = parallel.communicator.allGatherVariable(packed).flatMap { $0 }
        let n = all.count / 4
        let column = { (k: Int) in (0..<n).map { all[4 * $0 + k] } }
        return (ObjectiveTerms(policyLoss: local.policyLoss, entropy: nil, ratios: column(0), weights: column(1), logRatios: column(2)),
                column(3).map { Int($0) })
    }

    /// `advantages` scaled as `rl.advantage_normalization` asks (docs/algorithms.md §4.4); `tasks[i]` is
    /// the task of `advantages[i]`.
    static func normalized(_ advantages: [Float], tasks: [Int], _ scope: RLConfig.AdvantageNormalization) -> [Float] {
        switch scope {
        case .batch: return normalizeAdvantages(advantages)
        case .task: return normalizeAdvantages(advantages, groups: tasks)
        case .none: return advantages
        }
    }

    func run(_ rollout: Rollout, rng: inout RandomGenerator) throws -> Statistics {
        var stats = Statistics()
        let policy = model.policy
        let groups = ParameterGroups(model)
        let n = rollout.count
        let od = policy.config.observationDim
        var advantages = normalized(rollout.advantages, tasks: rollout.taskIndices)
        if let diagnostic = config.diagnosticAdvantages { advantages = diagnostic.apply(advantages) }
        // Credit assignment: one advantage per executed action step, normalised over executed steps.
        let stepMask = rollout.steps?.mask
        let stepAdvantages: [Float]? = rollout.stepAdvantages.map { a in
            guard config.advantageNormalization != .none, let mask = stepMask else { return a }
            let executedSlots = mask.indices.filter { mask[$0] > 0 }
            let h = rollout.steps?.chunkLength ?? 1
            let normalized = normalized(executedSlots.map { a[$0] }, tasks: executedSlots.map { rollout.taskIndices[$0 / h] })
            var out = [Float](repeating: 0, count: a.count)
            for (k, s) in executedSlots.enumerated() { out[s] = normalized[k] }
            return out
        }.map { a in config.diagnosticAdvantages?.apply(a) ?? a }
        let objective = objective(for: rollout, stepAdvantages: stepAdvantages, stepMask: stepMask)
        let targets = rollout.valueTargets
        let heads = rollout.valueHeads
        if let targets {
            let meanOld = (0..<targets.returns.count).map { EnsembleStatistics.mean(targets.oldHeadValues[($0 * heads)..<(($0 + 1) * heads)]) }
            stats.explainedVariance = parallel.isDistributed
                ? parallel.explainedVariance(predicted: meanOld, targets: targets.returns)
                : explainedVariance(predicted: meanOld, targets: targets.returns)
        }

        // Set by the KL stop when its scope is `.actor`: from then on a minibatch computes and steps
        // only the critic's loss.
        var criticOnly = false
        var criticOnlyValueLoss = 0.0
        // Data-parallel: the minibatches are cut from one permutation of all ranks' rows.
        let layout = parallel.isDistributed ? parallel.rowLayout(localCount: n) : (offset: 0, total: n)
        var sharedOrder = self.sharedOrder
        epochs: for epoch in 0..<config.epochs {
            if !criticOnly { stats.epochsRun = epoch + 1 }
            let order = parallel.isDistributed ? sharedOrder!.permutation(layout.total) : rng.permutation(n)
            for idx in DataParallel.localMinibatches(order: order, minibatchSize: config.minibatchSize,
                                                     offset: layout.offset, count: n) {
                let b = idx.count
                let obs = Tensor(idx.flatMap { rollout.observations[($0 * od)..<(($0 + 1) * od)] }, shape: [b, od])
                let tasks = idx.map { rollout.taskIndices[$0] }
                let adv = idx.map { advantages[$0] }

                let valueBatch = b == 0 ? nil : targets.map {
                    ValueBatch(targets: $0, decisions: idx, rollout: rollout, observationDim: od,
                               bootstrapProbability: config.ensembleBootstrapProbability, rng: &rng)
                }
                // Data-parallel: this rank's share of the minibatch's policy and value losses.
                let shares = parallel.isDistributed
                    ? minibatchShares(policyMass: objective.lossMass(rows: idx, chunkLength: policy.config.chunkLength),
                                      valueRows: valueBatch?.returns.count ?? 0)
                    : (policy: 1, value: 1)
                if criticOnly {
                    if targets != nil { criticOnlyValueLoss += try criticOnlyStep(valueBatch, heads: heads, groups: groups, share: shares.value) }
                    stats.criticOnlyMinibatches += 1
                    continue
                }
                let anchorBatch = updatesPolicy ? anchor?.drawBatch(chunkWidth: policy.config.chunkWidth, rng: &rng) : nil
                var anchorLossValue: Float = 0
                var terms: ObjectiveTerms? = nil
                var entropyValue: Float = 0, valueLossValue: Float = 0, policyLossValue: Float = 0

                var grads: Gradients
                if b > 0 || !parallel.isDistributed {
                    grads = try valueAndGrad(model) { m in
                        let features = try m.policy.encode(observations: obs, taskIndices: tasks)
                        let minibatch = objective.terms(m.policy, features: features, rows: idx, advantages: adv)
                        terms = minibatch
                        policyLossValue = minibatch.policyLoss.item
                        var total = minibatch.policyLoss
                        if let entropy = minibatch.entropy {
                            entropyValue = entropy.item
                            total = total - entropy * self.config.entropyCoefficient
                        }
                        if parallel.isDistributed { total = total * Float(shares.policy) }
                        if let anchor = self.anchor, let anchorBatch {
                            let demoLoss = try anchor.loss(m.policy, batch: anchorBatch)
                            anchorLossValue = demoLoss.item
                            // Every rank draws its own demonstration batch: their mean is the anchor.
                            let weight = anchor.settings.coefficient / Float(parallel.communicator.size)
                            total = total + demoLoss * weight
                        }
                        if let critic = m.critic, let v = valueBatch {
                            let valueLoss = try self.valueLoss(critic, policy: m.policy, batch: v, heads: heads)
                            valueLossValue = valueLoss.item
                            let weight = parallel.isDistributed ? self.config.valueCoefficient * Float(shares.value) : self.config.valueCoefficient
                            total = total + valueLoss * weight
                        }
                        return total
                    }.gradients
                } else {
                    grads = Gradients.zeros(like: model)  // this rank holds none of the minibatch's rows
                }
                grads = parallel.summed(grads, model: model)
                let local = terms ?? ObjectiveTerms(policyLoss: Tensor(0), entropy: nil, ratios: [], weights: [], logRatios: [])
                let localTasks = Self.ratioTasks(count: local.logRatios.count, rowTasks: tasks, transitionMajor: objective.transitionMajor)
                let (merged, ratioTasks) = parallel.isDistributed ? mergedTerms(local, tasks: localTasks) : (local, localTasks)
                if parallel.isDistributed {
                    let losses = parallel.communicator.sumInRankOrder([
                        Double(policyLossValue) * shares.policy, Double(entropyValue) * shares.policy,
                        Double(valueLossValue) * shares.value, Double(anchorLossValue) / Double(parallel.communicator.size)])
                    (policyLossValue, entropyValue, valueLossValue, anchorLossValue) = (Float(losses[0]), Float(losses[1]), Float(losses[2]), Float(losses[3]))
                }
                // Only ratios that enter the loss count (credit assignment masks unexecuted steps).
                let diagnostics = RatioDiagnostics(logRatios: merged.logRatios, weights: merged.weights)
                let taskDiagnostics = perTaskDiagnostics
                    ? RatioDiagnostics.perTask(logRatios: merged.logRatios, weights: merged.weights, tasks: ratioTasks)
                    : [:]
                for (task, d) in taskDiagnostics {
                    stats.taskKLSum[task, default: 0] += d.approxKL * Double(d.count)
                    stats.taskKLCount[task, default: 0] += d.count
                }
                if stats.minibatches == 0 {
                    stats.firstMinibatchMaxRatioDeviation = diagnostics.maxDeviation
                }
                // The trust region's early stop, tested before every step as Stable-Baselines3 does:
                // once this minibatch's ratios show the policy has moved past 1.5× the target, no
                // further step is taken, not even the rest of the first epoch (docs/algorithms.md §4.1).
                let stopStatistic = config.klPerTask && perTaskDiagnostics
                    ? taskDiagnostics.values.map(\.trimmedApproxKL).max() ?? 0
                    : diagnostics.trimmedApproxKL
                if updatesPolicy, let target = config.klTarget.map(Float.init), stopStatistic > Double(target) * 1.5 {
                    stats.stopKL = stopStatistic
                    guard config.klStop == .actor, targets != nil else { break epochs }
                    // This minibatch's critic gradient is the critic-only step's: take it.
                    try stepCritic(grads, groups: groups)
                    criticOnlyValueLoss += Double(valueLossValue)
                    stats.criticOnlyMinibatches += 1
                    criticOnly = true
                    continue
                }
                var actorGrads = grads.restricted(to: groups.actor)
                var noiseGrads = grads.restricted(to: groups.noise)
                var criticGrads = grads.restricted(to: groups.critic)
                guard grads.isFinite else { throw PPOUpdateError.nonFiniteGradient }
                stats.actorGradNorm += Double(actorGrads.clipGlobalNorm(config.gradientClip))
                noiseGrads.clipGlobalNorm(config.gradientClip)
                stats.criticGradNorm += Double(criticGrads.clipGlobalNorm(config.gradientClip))
                if updatesPolicy {
                    actorOptimizer.update(model, gradients: actorGrads)
                    if !noiseGrads.names.isEmpty { noiseOptimizer.update(model, gradients: noiseGrads) }
                }
                if !criticGrads.names.isEmpty { criticOptimizer.update(model, gradients: criticGrads) }
                grads = Gradients(names: [], tensors: [:])

                // Diagnostics: ratio statistics, clip fraction, k3 KL estimate E[(r − 1) − log r].
                stats.ratioMean += diagnostics.mean
                stats.ratioMin = min(stats.ratioMin, diagnostics.min)
                stats.ratioMax = max(stats.ratioMax, diagnostics.max)
                stats.clipFraction += objective.clipFraction(merged)
                stats.approxKL += diagnostics.approxKL
                stats.policyLoss += Double(policyLossValue)
                stats.valueLoss += Double(valueLossValue)
                stats.entropy += Double(entropyValue)
                stats.demonstrationLoss += Double(anchorLossValue)
                stats.minibatches += 1
            }
        }
        let m = Double(max(stats.minibatches, 1))
        stats.criticOnlyValueLoss = stats.criticOnlyMinibatches > 0 ? criticOnlyValueLoss / Double(stats.criticOnlyMinibatches) : nil
        stats.policyLoss /= m; stats.valueLoss /= m; stats.entropy /= m; stats.demonstrationLoss /= m
        stats.ratioMean /= m; stats.clipFraction /= m; stats.approxKL /= m
        stats.actorGradNorm /= m; stats.criticGradNorm /= m
        return stats
    }

    /// The task of each log-ratio: ratios are row-major (`[b, …]`), or transition-major (`[S·b]`)
    /// with the denoising discount.
    static func ratioTasks(count: Int, rowTasks tasks: [Int], transitionMajor: Bool) -> [Int] {
        let b = tasks.count
        guard b > 0, count % b == 0 else { return [] }
        let perRow = count / b
        return (0..<count).map { tasks[transitionMajor ? $0 % b : $0 / perRow] }
    }

    /// The critic's regression loss on a minibatch's value rows (per head, on bootstrap masks, for an ensemble).
    func valueLoss(_ critic: Critic, policy: FlowPolicy, batch v: ValueBatch, heads: Int) throws -> Tensor {
        let input = try critic.inputs(policy: policy, observations: v.observations, taskIndices: v.taskIndices,
                                      velocityFeatures: v.velocityFeatures)
        return heads == 1
            ? config.criticLoss.loss(predicted: critic(input), returns: v.returns, oldValues: v.oldHeadValues.reshaped([v.returns.count]))
            : config.criticLoss.ensembleLoss(predicted: critic.allHeads(input), returns: v.returns,
                                            oldValues: v.oldHeadValues, masks: v.bootstrapMasks)
    }

    /// Steps the critic alone with the `critic.…` part of `grads` (clipped like every group); data-parallel
    /// callers pass gradients already summed over ranks.
    private func stepCritic(_ grads: Gradients, groups: ParameterGroups) throws {
        var criticGrads = grads.restricted(to: groups.critic)
        guard criticGrads.isFinite else { throw PPOUpdateError.nonFiniteGradient }
        criticGrads.clipGlobalNorm(config.gradientClip)
        criticOptimizer.update(model, gradients: criticGrads)
    }

    /// One step of the critic alone on a minibatch's value rows (`v`: nil when this rank holds none of
    /// them, `share`: its share of the rows, data-parallel); returns the minibatch's value loss.
    private func criticOnlyStep(_ v: ValueBatch?, heads: Int, groups: ParameterGroups, share: Double) throws -> Double {
        guard model.critic != nil else { return 0 }
        var lossValue: Float = 0
        var grads = Gradients.zeros(like: model)
        if let v {
            grads = try valueAndGrad(model) { m in
                let loss = try self.valueLoss(m.critic!, policy: m.policy, batch: v, heads: heads)
                lossValue = loss.item
                return loss * (parallel.isDistributed ? self.config.valueCoefficient * Float(share) : self.config.valueCoefficient)
            }.gradients
        }
        guard parallel.isDistributed else {
            try stepCritic(grads, groups: groups)
            return Double(lossValue)
        }
        try stepCritic(parallel.summed(grads, model: model), groups: groups)
        return parallel.communicator.sumInRankOrder([Double(lossValue) * share])[0]
    }
}

/// A minibatch's critic rows: its decisions, or with credit assignment all their executed steps.
struct ValueBatch {
    var observations: Tensor
    var taskIndices: [Int]
    var returns: Tensor
    /// `[E, R]`.
    var oldHeadValues: Tensor
    /// The action-expert critic's input, from each row's decision.
    var velocityFeatures: Tensor
    /// Q-ensemble bootstrap masks `[E, R]` (each head regresses on its own random subset); nil for one head.
    var bootstrapMasks: Tensor?

    init(targets t: ValueTargets, decisions: [Int], rollout: Rollout, observationDim od: Int, bootstrapProbability: Float,
         rng: inout RandomGenerator) {
        let rows = decisions.flatMap { t.rowsOfDecision[$0] }
        let r = rows.count, heads = rollout.valueHeads
        observations = Tensor(rows.flatMap { t.observations[($0 * od)..<(($0 + 1) * od)] }, shape: [r, od])
        taskIndices = rows.map { t.taskIndices[$0] }
        returns = Tensor(rows.map { t.returns[$0] })
        oldHeadValues = Tensor(rows.flatMap { t.oldHeadValues[($0 * heads)..<(($0 + 1) * heads)] }, shape: [r, heads]).transposed()
        velocityFeatures = rollout.velocityFeatures.gatherRows(rows.map { t.decision[$0] })
        bootstrapMasks = heads > 1
            ? Tensor((0..<(heads * r)).map { _ in rng.nextUniform() < bootstrapProbability ? 1 : 0 }, shape: [heads, r])
            : nil
    }
}

/// `1 − Var(returns − values)/Var(returns)`: how much of the return variance the critic explains.
func explainedVariance(predicted: [Float], targets: [Float]) -> Double {
    guard predicted.count == targets.count, targets.count > 1 else { return .nan }
    func variance(_ x: [Double]) -> Double {
        let m = x.reduce(0, +) / Double(x.count)
        return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count)
    }
    let t = targets.map(Double.init)
    let vt = variance(t)
    guard vt > 0 else { return .nan }
    return 1 - variance(zip(t, predicted).map { $0 - Double($1) }) / vt
}

enum PPOUpdateError: Error, CustomStringConvertible {
    case nonFiniteGradient
    var description: String { "The PPO gradient became NaN or infinite; the update was stopped before touching the policy." }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _pow(_ x: Float, _ y: Float) -> Float { Glibc.powf(x, y) }
#else
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _pow(_ x: Float, _ y: Float) -> Float { Darwin.powf(x, y) }
#endif
