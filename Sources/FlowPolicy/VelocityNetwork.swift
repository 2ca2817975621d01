import FlowNN

/// The velocity field `v_θ(x_t, t, o)` over a flattened action chunk `[N, H·D]`, conditioned on
/// observation features `f` and time features `τ` (π0's action expert, in small: an MLP).
///
/// - `film`: `h ← act(W_in·x)`, then per hidden layer `h ← act(FiLM_{f,τ}(W_i·h))`, out `W_out·h`.
/// - `concat`: an MLP over `[x, f, τ]`.
///
/// The conditioning enters only through linear maps, so its observation part is projected once per
/// chunk (`prepare`) and its time part once per denoising step for all rows that share the time
/// (a `[1, T]` tensor broadcasts). In FiLM networks this removes most of the per-step cost.
public final class VelocityNetwork: Module {
    public let conditioning: FlowPolicyConfig.Conditioning
    public let activation: Activation
    let input: Linear?
    /// Concat conditioning: the first layer's maps of the observation and time parts.
    let inputFromFeatures: Linear?
    let inputFromTime: Linear?
    let layers: [Linear]
    let films: [FiLM]
    let norms: [LayerNorm]
    let output: Linear

    init(config: FlowPolicyConfig, featureWidth: Int, timeWidth: Int, rng: inout RandomGenerator) {
        conditioning = config.conditioning
        activation = config.activation
        let w = config.velocityWidth, hd = config.chunkWidth
        switch config.conditioning {
        case .film:
            input = Linear(hd, w, rng: &rng)
            inputFromFeatures = nil
            inputFromTime = nil
            layers = (0..<config.velocityDepth).map { _ in Linear(w, w, rng: &rng) }
            films = (0..<config.velocityDepth).map { _ in
                FiLM(conditionWidths: [featureWidth, timeWidth], features: w, rng: &rng)
            }
        case .concat:
            // One linear map of [x, f, τ] written as three maps (PyTorch's default init per part).
            input = Linear(hd, w, rng: &rng)
            inputFromFeatures = Linear(featureWidth, w, bias: false, rng: &rng)
            inputFromTime = Linear(timeWidth, w, bias: false, rng: &rng)
            layers = (0..<(config.velocityDepth - 1)).map { _ in Linear(w, w, rng: &rng) }
            films = []
        }
        norms = config.layerNorm ? (0..<config.velocityDepth).map { _ in LayerNorm(w) } : []
        output = Linear(w, hd, rng: &rng)
    }

    /// The observation part of every conditioned layer's input, `[B, …]` per layer (computed once per
    /// chunk; rows follow `features`).
    public func prepare(features: Tensor) -> [Tensor] {
        switch conditioning {
        case .film: return films.map { $0.project(part: 0, features) }
        case .concat: return [inputFromFeatures!(features)]
        }
    }

    /// The velocity `[N, H·D]` and the last hidden features `[N, width]` (for action-expert critics).
    /// `prepared` comes from `prepare(features:)` for the same rows, or with `rows` for source rows that
    /// row `r` reads as `rows[r]`; `time` is `[N, T]` or `[1, T]`, or with `timeRows` rows read as
    /// `timeRows[r]`. Indexed rows are read in place by the fused FiLM op (no repeated copies).
    public func callAsFunction(_ x: Tensor, prepared: [Tensor], rows: [Int]? = nil, time: Tensor,
                               timeRows: [Int]? = nil) -> (velocity: Tensor, features: Tensor) {
        var h: Tensor
        switch conditioning {
        case .film:
            h = input!(x, activation: activation)
            for i in 0..<layers.count {
                var z = layers[i](h)
                if !norms.isEmpty { z = norms[i](z) }
                // One pass for (obs + time projection) → FiLM → activation (FiLMActivation.swift).
                h = films[i](z, projected: prepared[i], rows: rows, plus: films[i].project(part: 1, time), rows: timeRows,
                             activation: activation)
            }
        case .concat:
            func gathered(_ t: Tensor, _ r: [Int]?) -> Tensor { r.map { t.gatherRows($0) } ?? t }
            var z = input!(x) + gathered(prepared[0], rows) + gathered(inputFromTime!(time), timeRows)
            if !norms.isEmpty { z = norms[0](z) }
            h = activation(z)
            for i in 0..<layers.count {
                if norms.isEmpty {
                    h = layers[i](h, activation: activation)
                } else {
                    h = activation(norms[i + 1](layers[i](h)))
                }
            }
        }
        return (output(h), h)
    }
}
