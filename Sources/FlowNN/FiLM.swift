/// Feature-wise linear modulation: `x·(1 + γ) + β` with `[γ, β] = Σ_i W_i·c_i + b`, a linear map of
/// a conditioning given in parts `c_0, c_1, …` (e.g. observation features and time features).
/// The map starts at zero, so an untrained FiLM layer is the identity.
///
/// ```swift
/// let film = FiLM(conditionWidths: [256, 64], features: 256, rng: &rng)
/// let y = film(h, condition: [obsFeatures, timeFeatures])
/// // Sampling: project the observation part once per chunk, the time part once per step:
/// let pre = film.project(part: 0, obsFeatures)                     // [B, 2·features], with bias
/// let y2 = film(h, projected: pre + film.project(part: 1, time))  // time: [1, T] broadcasts
/// let y3 = film(h, projected: pre, plus: film.project(part: 1, time), activation: .silu)  // fused act(y2)
/// ```
/// Keeping the parts separate is what lets a sampler reuse the observation projection across the
/// K denoising steps; both paths compute `W_0·c_0 + b` and `W_1·c_1` the same way per row.
public final class FiLM: Module {
    public let projections: [Linear]

    public init(conditionWidths: [Int], features: Int, rng: inout RandomGenerator) {
        precondition(!conditionWidths.isEmpty, "FiLM needs at least one conditioning part")
        projections = conditionWidths.enumerated().map { i, w in
            let l = Linear(w, 2 * features, bias: i == 0, rng: &rng)
            l.weight.value = Tensor.zeros(l.weight.shape)
            l.bias?.value = Tensor.zeros([2 * features])
            return l
        }
    }

    public convenience init(conditionFeatures: Int, features: Int, rng: inout RandomGenerator) {
        self.init(conditionWidths: [conditionFeatures], features: features, rng: &rng)
    }

    public var features: Int { projections[0].outFeatures / 2 }

    /// `W_i·c_i` (plus the bias for part 0), `[…, 2·features]`.
    public func project(part i: Int, _ c: Tensor) -> Tensor { projections[i](c) }

    /// Modulates `x` with an already summed projection `[γ, β]` (broadcastable to `[…, 2·features]`).
    public func callAsFunction(_ x: Tensor, projected: Tensor) -> Tensor {
        let gammaBeta = projected.split(sizes: [features, features], axis: -1)
        return x * (1 + gammaBeta[0]) + gammaBeta[1]
    }

    /// `act(x·(1 + γ) + β)` with `[γ, β] = projected + extra` in one fused pass (`filmActivation`):
    /// the same values as `activation(self(x, projected: projected + extra))` without the five
    /// intermediate tensors. `projected` has the rows of `x`; `extra` too, or one row that all share.
    public func callAsFunction(_ x: Tensor, projected: Tensor, plus extra: Tensor, activation: Activation) -> Tensor {
        filmActivation(x, modulation: projected, plus: extra, activation: activation)
    }

    /// The fused call with `projected` and `extra` read through row indices: row `r` of `x` uses row
    /// `rows[r]` of `projected` and `extraRows[r]` of `extra` (nil: as in the call above), without
    /// gathering them first (`filmActivation(_:modulation:rows:plus:rows:activation:)`).
    public func callAsFunction(_ x: Tensor, projected: Tensor, rows: [Int]?, plus extra: Tensor, rows extraRows: [Int]?,
                               activation: Activation) -> Tensor {
        filmActivation(x, modulation: projected, rows: rows, plus: extra, rows: extraRows, activation: activation)
    }

    /// `x` modulated by the conditioning parts (one tensor per part, rows matching `x`).
    public func callAsFunction(_ x: Tensor, condition parts: [Tensor]) -> Tensor {
        precondition(parts.count == projections.count, "FiLM expects \(projections.count) conditioning parts")
        var p = project(part: 0, parts[0])
        for i in 1..<parts.count { p = p + project(part: i, parts[i]) }
        return self(x, projected: p)
    }

    /// `x` modulated by a single conditioning tensor (one-part FiLM).
    public func callAsFunction(_ x: Tensor, condition: Tensor) -> Tensor { self(x, condition: [condition]) }
}
