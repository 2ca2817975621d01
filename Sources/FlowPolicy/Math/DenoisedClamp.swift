import FlowNN

/// The denoised clamp of a denoising step (docs/algorithms.md §3.4, DPPO's `denoised_clip_value`):
/// the step's data estimate `â = x − t·v` is limited to `±c` in normalised action units, and the
/// step continues with the velocity that produces the clamped estimate,
///
///     v' = (x − clip(x − t·v, −c, c)) / t,
///
/// so every sampler (ODE, Flow-SDE, Flow-Noise) keeps its own formula with `v'` in place of `v`.
/// For Flow-SDE the mean becomes `(1 − t + Δ)·â + (t − Δ − σ²Δ/(2t))·ε̂` with `ε̂ = (x − (1 − t)·â)/t`,
/// whose coefficient on `x` is below 1: a velocity field that grows with its input can no longer
/// feed a chain its own output. `v'` is a deterministic function of `x`, so log-densities stay
/// exact and a chain recomputed at the update gives the same bits as at rollout.
///
/// ```swift
/// let v = DenoisedClamp.velocity(x: x, v: rawVelocity, t: Tensor([1.0, 0.6], shape: [2, 1]), bound: 4)
/// ```
public enum DenoisedClamp {
    /// `v'` for chains `x` `[N, w]` at times `t` (`[N, 1]`, or a scalar tensor for a shared time).
    /// Elements whose estimate lies inside `±bound` keep `v` itself, bit for bit, and so does the
    /// whole tensor when no estimate leaves the bound; the gradient of a clamped element flows
    /// through `x` only (the clamp's derivative is zero there).
    public static func velocity(x: Tensor, v: Tensor, t: Tensor, bound: Float) -> Tensor {
        precondition(bound > 0 && bound.isFinite, "the denoised clamp needs a positive, finite bound")
        let estimate = x - t * v
        if estimate.largestMagnitude <= bound { return v }
        let clamped = (x - estimate.clamped(min: -bound, max: bound)) / t
        let active = estimate.detached().abs().greater(Tensor(bound))
        return Tensor.select(active, clamped, v)
    }
}

extension DenoisedClamp {
    /// How far beyond the furthest demonstrated action (in normalised units) a clamped estimate may
    /// reach: exploration keeps room past the demonstrations, chains do not run away.
    public static let demonstrationMargin: Float = 1.5

    /// The bound `policy.denoised_clip: auto` chooses: `1.5 ×` the largest |normalised action| of
    /// the demonstrations (flattened `[N·D]` values, normalised with the policy's action normaliser).
    public static func automaticBound(normalizedDemonstrationActions a: Tensor) -> Float {
        precondition(a.count > 0, "no demonstration actions")
        return demonstrationMargin * a.largestMagnitude
    }
}
