import FlowNN

/// PPO's clipped surrogate (docs/algorithms.md §4.1), per ratio element:
/// `ℓ = −min(r·A, clip(r, 1 − ε_low, 1 + ε_high)·A)`, and with dual clip, for `A < 0`,
/// `ℓ = min(ℓ, c·|A|)`. Returns per-element losses (the caller averages), plus the clip indicator.
public struct ClippedSurrogate: Sendable, Equatable, Codable {
    public var clipLow: Float = 0.2
    public var clipHigh: Float = 0.2
    /// Dual-clip constant `c` (nil: off).
    public var dualClip: Float? = 3

    public init(clipLow: Float = 0.2, clipHigh: Float = 0.2, dualClip: Float? = 3) {
        self.clipLow = clipLow
        self.clipHigh = clipHigh
        self.dualClip = dualClip
    }

    /// Per-element losses for ratios `r` and advantages `a` (same shape, or `a` broadcastable).
    public func loss(ratio r: Tensor, advantage a: Tensor) -> Tensor {
        let unclipped = r * a
        let clipped = r.clamped(min: 1 - clipLow, max: 1 + clipHigh) * a
        var loss = -minimum(unclipped, clipped)
        if let c = dualClip {
            let bound = a.abs() * c
            let negative = a.less(Tensor(0)).broadcast(to: loss.shape)
            loss = Tensor.select(negative, minimum(loss, bound), loss)
        }
        return loss
    }

    /// Fraction of elements whose ratio lies outside the clip range (a standard PPO diagnostic).
    public func clipFraction(ratio: Tensor) -> Float {
        let r = ratio.scalars
        guard !r.isEmpty else { return 0 }
        return Float(r.filter { $0 < 1 - clipLow || $0 > 1 + clipHigh }.count) / Float(r.count)
    }
}
