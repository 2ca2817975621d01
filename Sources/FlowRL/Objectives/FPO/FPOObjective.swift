import FlowNN

/// FPO's surrogate (docs/algorithms.md §4.2): the likelihood ratio replaced by the change of the
/// conditional flow-matching loss on stored `(τ, ε)` pairs, under PPO clipping or ASPO.
///
/// ```swift
/// let objective = FPOObjective(settings: rl.fpo, dualClip: rl.dualClip)
/// let (loss, ratio, _) = objective.loss(new: lossNew, old: lossOld, advantages: adv, mask: mask)
/// ```
///
/// Shapes: per-pair losses split by action step `[B, M, H]`; advantages and mask `[B, G]` with
/// `G = 1` (one chunk advantage: the step losses are summed to the chunk loss first) or `G = H`
/// (credit assignment, §4.3: every action step has its own ratio term and advantage; the mask
/// removes steps that were never executed because the episode ended inside the chunk).
/// - per action: `r_g = exp(mean_i ℓ_old,i,g − mean_i ℓ_θ,i,g)`, shape `[B, G]`;
/// - per sample (FPO++): `r_{i,g} = exp(clamp_ST(ℓ_old,i,g − ℓ_θ,i,g, max = logRatioClamp))`,
///   shape `[B, M, G]`.
/// Every pair's loss is clamped at `lossClamp` first — for both kinds, although §4.2 names the clamp
/// for FPO++ only: a few-shot policy's velocity on unfamiliar states can be far off (per-pair losses
/// above 1500 on push), and one such pair in the per-action mean drove ratios to 1e-12 in one epoch.
/// The loss is the mask-weighted mean of the per-term losses.
public struct FPOObjective {
    public let settings: FPOSettings
    public let dualClip: Float?

    public init(settings: FPOSettings, dualClip: Float? = nil) {
        self.settings = settings
        self.dualClip = dualClip
    }

    /// Ratios of the configured kind for per-step losses `[B, M, H]` and `G ∈ {1, H}` ratio groups.
    public func ratio(new: Tensor, old: Tensor, groups: Int) -> Tensor {
        precondition(new.shape == old.shape && new.rank == 3, "per-pair losses must be [B, M, H]")
        precondition(groups == 1 || groups == new.shape[2], "ratio groups are the chunk (1) or its steps (H)")
        let c = settings.lossClamp
        let newG = (groups == 1 ? new.sum(axis: 2, keepDims: true) : new).clamped(max: c)
        let oldG = (groups == 1 ? old.sum(axis: 2, keepDims: true) : old).clamped(max: c)
        switch settings.ratio {
        case .perAction:
            return (oldG.mean(axis: 1) - newG.mean(axis: 1)).exp()
        case .perSample:
            return (oldG - newG).clampedStraightThrough(max: settings.logRatioClamp).exp()
        }
    }

    /// Per-term losses of ratios `r` and advantages `a` (broadcastable): PPO's clipped surrogate, or
    /// for ASPO the SPO penalty `−[r·A − |A|/(2ε)·(r − 1)²]` where `A < 0`.
    public func termLoss(ratio r: Tensor, advantage a: Tensor) -> Tensor {
        let ppo = ClippedSurrogate(clipLow: settings.clip, clipHigh: settings.clip, dualClip: dualClip).loss(ratio: r, advantage: a)
        guard settings.trustRegion == .aspo else { return ppo }
        let spo = -(r * a - a.abs() * (1 / (2 * settings.clip)) * (r - 1).square())
        return Tensor.select(a.less(Tensor(0)).broadcast(to: ppo.shape), spo, ppo)
    }

    /// The mask-weighted mean surrogate loss, the ratios it used and each ratio's weight (0 or 1).
    public func loss(new: Tensor, old: Tensor, advantages: Tensor, mask: Tensor) -> (loss: Tensor, ratio: Tensor, weight: Tensor) {
        let b = new.shape[0], g = advantages.shape[1]
        precondition(advantages.shape == [b, g] && mask.shape == [b, g], "advantages and mask must be [B, G]")
        let r = ratio(new: new, old: old, groups: g)
        let (a, w): (Tensor, Tensor) = settings.ratio == .perAction
            ? (advantages, mask)
            : (advantages.reshaped([b, 1, g]), mask.reshaped([b, 1, g]).broadcast(to: r.shape))
        let terms = termLoss(ratio: r, advantage: a) * w
        let weight = max(w.sum().item, 1)
        return (terms.sum() * (1 / weight), r, w)
    }

    /// Fraction of ratio terms outside `[1 − ε, 1 + ε]` (terms where the mask is 0 excluded).
    public func clipFraction(ratio: [Float], mask: [Float]) -> Double {
        var outside = 0.0, total = 0.0
        for (r, w) in zip(ratio, mask) where w > 0 {
            total += 1
            if r < 1 - settings.clip || r > 1 + settings.clip { outside += 1 }
        }
        return total == 0 ? 0 : outside / total
    }
}
