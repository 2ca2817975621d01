import FlowNN
import FlowPolicy

/// FPO's Monte-Carlo pairs `(τ_i, ε_i)` of a batch of executed chunks (docs/algorithms.md §4.2), drawn
/// once at rollout and stored, so the update re-evaluates the CFM loss on exactly the same pairs.
///
/// ```swift
/// let pairs = FPOPairs.draw(chunks: b, settings: rl.fpo, policy: policy, rng: &rng)
/// let old = FPOPairs.stepLosses(policy, observation: prepared, chunks: x, pairs: pairs, reduction: .sum)  // [B, M, H]
/// ```
///
/// Layout is chunk-major: chunk `b`'s pairs are rows `b·M ..< (b+1)·M`, so selecting chunks for a
/// minibatch selects their pairs as one block.
public struct FPOPairs {
    /// Pairs per chunk `M = N_mc`.
    public let samplesPerChunk: Int
    /// Flow times `[B·M]`.
    public var tau: [Float]
    /// Noise `[B·M, H·D]` (normalised action space).
    public var noise: Tensor

    public var chunks: Int { tau.count / samplesPerChunk }

    /// Draws `M` pairs for each of `b` chunks: all τ first, then all ε (a fixed order, so the same
    /// generator state gives the same pairs).
    public static func draw(chunks b: Int, settings: FPOSettings, policy: FlowPolicy, rng: inout RandomGenerator) -> FPOPairs {
        let m = settings.samples, grid = policy.grid
        let tau: [Float] = (0..<(b * m)).map { _ in
            switch settings.tauSampling {
            case .grid: return grid.t(rng.nextInt(below: grid.steps))
            case .continuous: return rng.nextUniform()
            }
        }
        return FPOPairs(samplesPerChunk: m, tau: tau, noise: Tensor.randomNormal([b * m, policy.config.chunkWidth], rng: &rng))
    }

    /// Draws chunk c's `M` pairs from `rowGenerators[c]` alone (its τ, then its ε), so a chunk's pairs
    /// do not depend on which chunks share its batch (docs/architecture.md, "The rollout pipeline").
    public static func draw(settings: FPOSettings, policy: FlowPolicy, rowGenerators: inout [RandomGenerator]) -> FPOPairs {
        let parts = rowGenerators.indices.map { c in draw(chunks: 1, settings: settings, policy: policy, rng: &rowGenerators[c]) }
        return concatenate(parts)
    }

    /// The pairs of the selected chunks.
    public func chunks(_ indices: [Int]) -> FPOPairs {
        let m = samplesPerChunk
        let rows = indices.flatMap { c in (c * m)..<((c + 1) * m) }
        return FPOPairs(samplesPerChunk: m, tau: rows.map { tau[$0] }, noise: noise.gatherRows(rows))
    }

    /// Pairs of several batches joined chunk-wise.
    public static func concatenate(_ parts: [FPOPairs]) -> FPOPairs {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.samplesPerChunk == parts[0].samplesPerChunk }, "pairs differ in N_mc")
        return FPOPairs(samplesPerChunk: parts[0].samplesPerChunk, tau: parts.flatMap(\.tau),
                        noise: Tensor.concat(parts.map(\.noise), axis: 0))
    }

    /// Per-pair CFM losses split by action step, `[B, M, H]`:
    /// `ℓ_{i,h} = Σ_{d} (v_θ(x_τi, τ_i, o) − (ε_i − a))²_{h,d}` with `x_τ = τ·ε + (1 − τ)·a` (§4.2),
    /// divided by `H·D` for `.mean`, so the chunk loss is always `Σ_h ℓ_{i,h}`. All `B·M` pairs go
    /// through the velocity network in one batched pass; rollout and update both call this, so the
    /// ratio is exactly 1 before the first gradient step. A chunk's observation projections are read
    /// by its `M` pairs through a row index and the time features are computed once per distinct τ
    /// (`K` of them on the grid), so neither is materialised per pair.
    public static func stepLosses(_ policy: FlowPolicy, observation: PreparedObservation, chunks a: Tensor,
                                  pairs: FPOPairs, reduction: FPOSettings.LossReduction) -> Tensor {
        let b = a.shape[0], m = pairs.samplesPerChunk
        let h = policy.config.chunkLength, d = policy.config.actionDim
        precondition(pairs.chunks == b, "one set of pairs per chunk")
        let repeatRows = (0..<b).flatMap { [Int](repeating: $0, count: m) }
        let action = a.gatherRows(repeatRows)
        let t = Tensor(pairs.tau, shape: [b * m, 1])
        let xt = ConditionalFlowMatching.interpolate(action: action, noise: pairs.noise, t: t)
        let (time, timeRows) = policy.distinctTimeFeatures(pairs.tau)
        let v = policy.velocity(xt, observation: observation.rows(repeatRows), time: time, timeRows: timeRows).velocity
        let error = (v - ConditionalFlowMatching.targetVelocity(action: action, noise: pairs.noise)).square()
        let perStep = error.reshaped([b, m, h, d]).sum(axis: -1)
        return reduction == .mean ? perStep * (1 / Float(h * d)) : perStep
    }
}
