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

/// PPO for Flow-SDE and Flow-Noise (ALGORITHMS.md §4.1): several epochs of minibatches over a
/// rollout; the ratio `exp(log π_θ − log π_θold)` comes from re-evaluating the stored chains through
/// the same code as sampling (exactly 1 at the first minibatch); clipped (and dual-clipped)
/// surrogate, optional entropy bonus, clipped Huber value loss; actor, noise network and critic
/// each with their own AdamW and learning rate; gradients clipped per group.
struct PPOUpdate {
    let config: RLConfig
    let model: ActorCritic
    let actorOptimizer: AdamW
    let noiseOptimizer: AdamW
    let criticOptimizer: AdamW
    /// False during the critic warm-up: only the critic learns.
    var updatesPolicy = true

    struct Statistics {
        var policyLoss = 0.0, valueLoss = 0.0, entropy = 0.0
        var ratioMean = 0.0, ratioMin = Double.infinity, ratioMax = -Double.infinity
        var clipFraction = 0.0, approxKL = 0.0
        var actorGradNorm = 0.0, criticGradNorm = 0.0
        var minibatches = 0
        var firstMinibatchMaxRatioDeviation = 0.0
        var epochsRun = 0
        var explainedVariance = Double.nan
    }

    static func makeOptimizers(_ config: RLConfig) -> (actor: AdamW, noise: AdamW, critic: AdamW) {
        let betas: (Float, Float) = (0.9, 0.95)
        return (AdamW(schedule: .constant(config.actorLearningRate), betas: betas, weightDecay: config.weightDecay),
                AdamW(schedule: .constant(config.noiseLearningRate), betas: betas, weightDecay: config.weightDecay),
                AdamW(schedule: .constant(config.criticLearningRate), betas: betas, weightDecay: 0))
    }

    func run(_ rollout: Rollout, rng: inout RandomGenerator) throws -> Statistics {
        var stats = Statistics()
        let policy = model.policy
        let n = rollout.count
        let od = policy.config.observationDim, h = policy.config.chunkLength, ad = policy.config.actionDim
        let aggregation = config.aggregation
        let surrogate = ClippedSurrogate(clipLow: config.clipLow, clipHigh: config.clipHigh, dualClip: config.dualClip)
        let advantages = config.normalizeAdvantages ? normalizeAdvantages(rollout.advantages) : rollout.advantages
        stats.explainedVariance = explainedVariance(predicted: rollout.values, targets: rollout.returns)
        let perTransition = config.denoisingDiscount != nil && rollout.record.transitions.count > 1

        epochs: for epoch in 0..<config.epochs {
            var order = Array(0..<n)
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
            var start = 0
            var epochKL = 0.0, epochBatches = 0
            while start < n {
                let idx = Array(order[start..<min(start + config.minibatchSize, n)])
                start += config.minibatchSize
                let b = idx.count
                let obs = Tensor(idx.flatMap { rollout.observations[($0 * od)..<(($0 + 1) * od)] }, shape: [b, od])
                let tasks = idx.map { rollout.taskIndices[$0] }
                let record = rollout.record.rows(idx)
                let oldPerElement = rollout.logDensity.gatherRows(idx)
                let adv = idx.map { advantages[$0] }
                let returns = Tensor(idx.map { rollout.returns[$0] })
                let oldValues = Tensor(idx.map { rollout.values[$0] })
                let velocityFeatures = rollout.velocityFeatures.gatherRows(idx)
                var ratioValues: [Float] = []
                var entropyValue: Float = 0, valueLossValue: Float = 0, policyLossValue: Float = 0

                var (_, grads) = try valueAndGrad(model) { m in
                    let features = try m.policy.encode(observations: obs, taskIndices: tasks)
                    let eval = ChainLogDensity.evaluate(m.policy, record: record, features: features)
                    let (logRatio, advantage) = self.logRatioAndAdvantage(
                        new: eval.logDensity, old: oldPerElement, record: record, advantages: adv,
                        aggregation: aggregation, perTransition: perTransition, h: h, ad: ad)
                    let ratio = logRatio.exp()
                    ratioValues = ratio.scalars
                    let policyLoss = surrogate.loss(ratio: ratio, advantage: advantage).mean()
                    policyLossValue = policyLoss.item
                    var total = policyLoss
                    if self.config.algorithm == .flowNoise && self.config.entropyCoefficient > 0 {
                        let entropy = GaussianLogDensity.entropy(std: eval.std).mean()
                        entropyValue = entropy.item
                        total = total - entropy * self.config.entropyCoefficient
                    }
                    if let critic = m.critic, self.config.advantageEstimator == .gae {
                        let input = try critic.inputs(policy: m.policy, observations: obs, taskIndices: tasks,
                                                      velocityFeatures: velocityFeatures)
                        let valueLoss = self.config.valueLoss.loss(predicted: critic(input), returns: returns, oldValues: oldValues)
                        valueLossValue = valueLoss.item
                        total = total + valueLoss * self.config.valueCoefficient
                    }
                    return total
                }
                if stats.minibatches == 0 {
                    stats.firstMinibatchMaxRatioDeviation = ratioValues.map { Double(abs($0 - 1)) }.max() ?? 0
                }
                let actorNames = grads.names.filter { $0.hasPrefix("policy.") && !$0.hasPrefix("policy.noiseNetwork.") }
                let noiseNames = grads.names.filter { $0.hasPrefix("policy.noiseNetwork.") }
                let criticNames = grads.names.filter { $0.hasPrefix("critic.") }
                var actorGrads = Gradients(names: actorNames, tensors: grads.tensors.filter { actorNames.contains($0.key) })
                var noiseGrads = Gradients(names: noiseNames, tensors: grads.tensors.filter { noiseNames.contains($0.key) })
                var criticGrads = Gradients(names: criticNames, tensors: grads.tensors.filter { criticNames.contains($0.key) })
                guard grads.isFinite else { throw PPOUpdateError.nonFiniteGradient }
                stats.actorGradNorm += Double(actorGrads.clipGlobalNorm(config.gradientClip))
                noiseGrads.clipGlobalNorm(config.gradientClip)
                stats.criticGradNorm += Double(criticGrads.clipGlobalNorm(config.gradientClip))
                if updatesPolicy {
                    actorOptimizer.update(model, gradients: actorGrads)
                    if !noiseNames.isEmpty { noiseOptimizer.update(model, gradients: noiseGrads) }
                }
                if !criticNames.isEmpty { criticOptimizer.update(model, gradients: criticGrads) }
                grads = Gradients(names: [], tensors: [:])

                // Diagnostics: ratio statistics, clip fraction, k3 KL estimate E[(r − 1) − log r].
                let rs = ratioValues.map(Double.init)
                stats.ratioMean += rs.reduce(0, +) / Double(max(rs.count, 1))
                stats.ratioMin = min(stats.ratioMin, rs.min() ?? 1)
                stats.ratioMax = max(stats.ratioMax, rs.max() ?? 1)
                stats.clipFraction += Double(surrogate.clipFraction(ratio: Tensor(ratioValues)))
                let kl = rs.reduce(0.0) { $0 + ($1 - 1) - _log($1) } / Double(max(rs.count, 1))
                epochKL += kl
                epochBatches += 1
                stats.approxKL += kl
                stats.policyLoss += Double(policyLossValue)
                stats.valueLoss += Double(valueLossValue)
                stats.entropy += Double(entropyValue)
                stats.minibatches += 1
            }
            stats.epochsRun = epoch + 1
            if let target = config.klTarget, epochKL / Double(max(epochBatches, 1)) > Double(target) * 1.5 { break epochs }
        }
        let m = Double(max(stats.minibatches, 1))
        stats.policyLoss /= m; stats.valueLoss /= m; stats.entropy /= m
        stats.ratioMean /= m; stats.clipFraction /= m; stats.approxKL /= m
        stats.actorGradNorm /= m; stats.criticGradNorm /= m
        return stats
    }

    /// Log-ratios at the configured granularity and the advantages broadcast to them. With the DPPO
    /// denoising discount every transition is its own ratio term, its advantage scaled by
    /// `γ_d^(K−k−1)`.
    func logRatioAndAdvantage(new: Tensor, old: Tensor, record: ChainRecord, advantages: [Float],
                              aggregation: LogDensityAggregation, perTransition: Bool, h: Int, ad: Int) -> (Tensor, Tensor) {
        let b = advantages.count
        if perTransition, let gd = config.denoisingDiscount {
            let s = record.transitions.count
            var ratios: [Tensor] = [], advs: [Float] = []
            let k = model.policy.config.denoisingSteps
            for t in 0..<s {
                let newT = new.slice(axis: 1, t..<(t + 1)), oldT = old.slice(axis: 1, t..<(t + 1))
                let agg = LogDensityAggregation(granularity: .chunk, overSteps: .sum, overDims: aggregation.overDims)
                ratios.append(agg.aggregate(newT, chunkLength: h, actionDim: ad) - agg.aggregate(oldT, chunkLength: h, actionDim: ad))
                let step = record.transitions[t].step
                advs += (0..<b).map { advantages[$0] * _pow(gd, Float(k - step[$0] - 1)) }
            }
            // Transition-major advantages to match the concatenated ratios.
            return (Tensor.concat(ratios, axis: 0), Tensor(advs))
        }
        let newAgg = aggregation.aggregate(new, initialNoise: record.initialNoise, chunkLength: h, actionDim: ad)
        let oldAgg = aggregation.aggregate(old, initialNoise: record.initialNoise, chunkLength: h, actionDim: ad)
        var advShape = [b]
        switch aggregation.granularity {
        case .chunk: break
        case .actionStep: advShape = [b, 1]
        case .element: advShape = [b, 1, 1]
        }
        return (newAgg - oldAgg, Tensor(advantages, shape: advShape))
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
