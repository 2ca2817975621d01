import FlowNN

extension Rollout {
    /// GRPO's advantages (docs/algorithms.md §4.4): every decision of an episode gets its episode's
    /// return normalised within its group, and the episode's return as its return.
    public mutating func computeGroupRelativeAdvantages() {
        guard let episodes else { preconditionFailure("group-relative advantages need the rollout's episodes (a GRPO rollout)") }
        var episodeAdvantage = [Float](repeating: 0, count: episodes.returns.count)
        var groups: [Int: [Int]] = [:]
        for (e, g) in episodes.group.enumerated() { groups[g, default: []].append(e) }
        for (_, members) in groups {
            let a = GroupRelativeAdvantage.compute(groupReturns: members.map { episodes.returns[$0] })
            for (k, e) in members.enumerated() { episodeAdvantage[e] = a[k] }
        }
        advantages = episodes.ofDecision.map { episodeAdvantage[$0] }
        returns = episodes.ofDecision.map { episodes.returns[$0] }
    }

    /// GAE advantages and the critic's regression targets (docs/algorithms.md §4.4), over decisions —
    /// or, with `stepHeadValues` (credit assignment, §4.3), over the environment steps inside the
    /// chunks, so every executed action step gets its own advantage.
    ///
    /// With a Q-ensemble (`valueHeads > 1`, §4.3) advantages use the pessimistic value of `pessimism`
    /// and the regression targets use the ensemble mean (`EnsemblePessimism` says why); with one head
    /// both are that head's value and this is plain GAE.
    ///
    /// - Parameters:
    ///   - stepHeadValues: every head's value at every action-step slot, `[N·H·E]` (slot-major; slots
    ///     that were not executed are ignored), when advantages are computed per environment step.
    ///   - gamma: the per-environment-step discount (used by the step-level pass).
    public mutating func computeGAE(lambda: Float, gamma: Float, pessimism: EnsemblePessimism, stepHeadValues: [Float]?,
                             observationDim od: Int, rng: inout RandomGenerator) {
        let n = count, e = valueHeads
        var meanV = [Float](repeating: 0, count: n), pessV = meanV, meanB = meanV, pessB = meanV
        var spread = 0.0
        for d in 0..<n {
            let v = heads(headValues, d), b = heads(headBootstrapValues, d)
            meanV[d] = EnsembleStatistics.mean(v)
            pessV[d] = pessimism.value(heads: v, rng: &rng)
            meanB[d] = EnsembleStatistics.mean(b)
            pessB[d] = pessimism.value(heads: b, rng: &rng)
            spread += Double(EnsembleStatistics.std(v))
        }
        ensembleDisagreement = n == 0 ? 0 : spread / Double(n)

        guard let steps, let stepHeadValues else {
            advantages = [Float](repeating: 0, count: n)
            returns = [Float](repeating: 0, count: n)
            for seq in sequences {
                func gae(_ v: [Float], _ b: [Float]) -> (advantages: [Float], returns: [Float]) {
                    GAE.compute(rewards: seq.map { rewards[$0] }, discounts: seq.map { discounts[$0] },
                                values: seq.map { v[$0] }, bootstrapValues: seq.map { b[$0] },
                                sequenceEnds: seq.map { sequenceEnds[$0] }, lambda: lambda)
                }
                let pessimistic = gae(pessV, pessB), mean = gae(meanV, meanB)
                for (k, d) in seq.enumerated() {
                    advantages[d] = pessimistic.advantages[k]
                    returns[d] = mean.returns[k]
                }
            }
            valueTargets = ValueTargets(observations: observations, taskIndices: taskIndices, decision: Array(0..<n),
                                        returns: returns, oldHeadValues: headValues, rowsOfDecision: (0..<n).map { [$0] })
            return
        }

        let h = steps.chunkLength
        precondition(stepHeadValues.count == n * h * e, "one value per head and action-step slot")
        var slotMean = [Float](repeating: 0, count: n * h), slotPess = slotMean
        for d in 0..<n {
            for k in 0..<steps.executed[d] {
                let s = d * h + k, v = stepHeadValues[(s * e)..<((s + 1) * e)]
                slotMean[s] = EnsembleStatistics.mean(v)
                slotPess[s] = pessimism.value(heads: v, rng: &rng)
            }
        }
        var stepAdvantage = [Float](repeating: 0, count: n * h), stepReturn = stepAdvantage
        for seq in sequences {
            var slots: [Int] = [], r: [Float] = [], end: [Bool] = []
            var vm: [Float] = [], vp: [Float] = [], bm: [Float] = [], bp: [Float] = []
            for d in seq {
                let executed = steps.executed[d]
                for k in 0..<executed {
                    let s = d * h + k, last = k == executed - 1
                    slots.append(s)
                    r.append(steps.rewards[s])
                    vm.append(slotMean[s]); vp.append(slotPess[s])
                    bm.append(last ? meanB[d] : slotMean[s + 1]); bp.append(last ? pessB[d] : slotPess[s + 1])
                    end.append(last && sequenceEnds[d])
                }
            }
            let discounts = [Float](repeating: gamma, count: slots.count)
            let pessimistic = GAE.compute(rewards: r, discounts: discounts, values: vp, bootstrapValues: bp, sequenceEnds: end, lambda: lambda)
            let mean = GAE.compute(rewards: r, discounts: discounts, values: vm, bootstrapValues: bm, sequenceEnds: end, lambda: lambda)
            for (k, s) in slots.enumerated() {
                stepAdvantage[s] = pessimistic.advantages[k]
                stepReturn[s] = mean.returns[k]
            }
        }
        stepAdvantages = stepAdvantage
        advantages = (0..<n).map { stepAdvantage[$0 * h] }
        returns = (0..<n).map { stepReturn[$0 * h] }

        var targets = ValueTargets(observations: [], taskIndices: [], decision: [], returns: [], oldHeadValues: [],
                                   rowsOfDecision: [[Int]](repeating: [], count: n))
        for d in 0..<n {
            for k in 0..<steps.executed[d] {
                let s = d * h + k
                targets.rowsOfDecision[d].append(targets.decision.count)
                targets.observations += steps.observations[(s * od)..<((s + 1) * od)]
                targets.taskIndices.append(taskIndices[d])
                targets.decision.append(d)
                targets.returns.append(stepReturn[s])
                targets.oldHeadValues += stepHeadValues[(s * e)..<((s + 1) * e)]
            }
        }
        valueTargets = targets
    }
}
