import FlowNN

/// The velocity field `v_θ(x_t, t, o)` over a flattened action chunk `[N, H·D]`, conditioned on
/// `c = [observation features, time features]` (π0's action expert in small: an MLP).
///
/// - `film`: `h ← act(W_in·x)`, then per hidden layer `h ← act(FiLM_c(W_i·h))`, out `W_out·h`.
/// - `concat`: an MLP over `[x, c]`.
public final class VelocityNetwork: Module {
    public let conditioning: FlowPolicyConfig.Conditioning
    public let activation: Activation
    let input: Linear?
    let layers: [Linear]
    let films: [FiLM]
    let norms: [LayerNorm]
    let output: Linear

    init(config: FlowPolicyConfig, conditionWidth: Int, rng: inout RandomGenerator) {
        conditioning = config.conditioning
        activation = config.activation
        let w = config.velocityWidth, hd = config.chunkWidth
        switch config.conditioning {
        case .film:
            input = Linear(hd, w, rng: &rng)
            layers = (0..<config.velocityDepth).map { _ in Linear(w, w, rng: &rng) }
            films = (0..<config.velocityDepth).map { _ in FiLM(conditionFeatures: conditionWidth, features: w, rng: &rng) }
        case .concat:
            input = nil
            layers = (0..<config.velocityDepth).map { i in Linear(i == 0 ? hd + conditionWidth : w, w, rng: &rng) }
            films = []
        }
        norms = config.layerNorm ? (0..<config.velocityDepth).map { _ in LayerNorm(w) } : []
        output = Linear(w, hd, rng: &rng)
    }

    /// The velocity `[N, H·D]` and the last hidden features `[N, width]` (for action-expert critics).
    public func callAsFunction(_ x: Tensor, condition: Tensor) -> (velocity: Tensor, features: Tensor) {
        var h: Tensor
        switch conditioning {
        case .film:
            h = input!(x, activation: activation)
            for i in 0..<layers.count {
                var z = layers[i](h)
                if !norms.isEmpty { z = norms[i](z) }
                h = activation(films[i](z, condition: condition))
            }
        case .concat:
            h = Tensor.concat([x, condition], axis: -1)
            for i in 0..<layers.count {
                if norms.isEmpty {
                    h = layers[i](h, activation: activation)
                } else {
                    h = activation(norms[i](layers[i](h)))
                }
            }
        }
        return (output(h), h)
    }
}

/// Flow-Noise's noise network (ALGORITHMS.md §3.3): an MLP from the conditioning features (and
/// optionally the chain state) to a raw output squashed into `σ ∈ [σ_min, σ_max]` per element.
public final class NoiseNetwork: Module {
    let body: MLP
    public let scale: BoundedNoiseScale
    public let config: NoiseNetworkConfig

    init(config: NoiseNetworkConfig, conditionWidth: Int, chunkWidth: Int, activation: Activation, rng: inout RandomGenerator) {
        self.config = config
        let inWidth = conditionWidth + (config.includeChainState ? chunkWidth : 0)
        body = MLP(widths: [inWidth, config.width, config.width, chunkWidth], activation: activation, rng: &rng)
        scale = BoundedNoiseScale(sigmaMin: config.sigmaMin, sigmaMax: config.sigmaMax)
    }

    /// `σ` of shape `[N, H·D]`.
    public func sigma(condition: Tensor, chainState x: Tensor) -> Tensor {
        let c = config.trainSharedFeatures ? condition : condition.detached()
        let input = config.includeChainState ? Tensor.concat([c, x], axis: -1) : c
        return scale.sigma(raw: body(input))
    }
}
