import FlowNN

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

    /// `σ` of shape `[N, H·D]` from the conditioning `[observation features, time features]` `[N, F+T]`.
    public func sigma(condition: Tensor, chainState x: Tensor) -> Tensor {
        let c = config.trainSharedFeatures ? condition : condition.detached()
        let input = config.includeChainState ? Tensor.concat([c, x], axis: -1) : c
        return scale.sigma(raw: body(input))
    }
}
