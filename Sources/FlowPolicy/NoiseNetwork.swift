import FlowNN

/// Flow-Noise's noise network (docs/algorithms.md §3.3): an MLP from the conditioning features (and
/// optionally the chain state) to a raw output squashed into `σ ∈ [σ_min, σ_max]` per element.
public final class NoiseNetwork: Module {
    let body: MLP
    public let scale: BoundedNoiseScale
    public let config: NoiseNetworkConfig

    init(config: NoiseNetworkConfig, conditionWidth: Int, chunkWidth: Int, activation: Activation, rng: inout RandomGenerator) {
        self.config = config
        let inWidth = conditionWidth + (config.includeChainState ? chunkWidth : 0)
        body = MLP(widths: [inWidth] + config.widths + [chunkWidth], activation: activation, rng: &rng)
        scale = BoundedNoiseScale(sigmaMin: config.sigmaMin, sigmaMax: config.sigmaMax)
    }

    /// `σ` of shape `[N, H·D]` from the conditioning `[observation features, time features]` `[N, F+T]`.
    public func sigma(condition: Tensor, chainState x: Tensor) -> Tensor {
        let c = config.trainSharedFeatures ? condition : condition.detached()
        let input = config.includeChainState ? Tensor.concat([c, x], axis: -1) : c
        return scale.sigma(raw: body(input))
    }

    /// `σ` `[N, H·D]` from the conditioning in parts: observation features `[B, F]` read by row `r` as
    /// `rows[r]` (nil: `N` rows), time features read as `timeRows[r]` (nil: `N` rows or one shared
    /// row). The first layer `W·[f, τ, x] + b` is split by columns into `W_f·f + b`, computed once
    /// per observation row, and `W_τ·τ`, once per distinct time, whose rows are then gathered and
    /// added; Flow-Noise's update evaluates `S` transitions of each chain, so this replaces a
    /// `[B·S, F + T]` concat and most of the first layer's GEMM by `[B, F]` work. The sum is
    /// rounded differently from the one-GEMM `sigma(condition:chainState:)` (float32 tolerance);
    /// rollout and update both call this form, so their values are identical.
    public func sigma(features: Tensor, rows: [Int]?, time: Tensor, timeRows: [Int]?, chainState x: Tensor) -> Tensor {
        precondition(body.norms.isEmpty, "the noise network has no layer norms")
        let f = config.trainSharedFeatures ? features : features.detached()
        let t = config.trainSharedFeatures ? time : time.detached()
        let first = body.layers[0]
        let widths = [f.shape[1], t.shape[1]] + (config.includeChainState ? [x.shape[1]] : [])
        precondition(widths.reduce(0, +) == first.inFeatures, "noise network input width \(first.inFeatures), parts \(widths)")
        let w = first.weight.value.split(sizes: widths, axis: 1)
        var pre = linear(f, weight: w[0], bias: first.bias?.value)
        if let rows { pre = pre.gatherRows(rows) }
        var fromTime = linear(t, weight: w[1], bias: nil)
        if let timeRows { fromTime = fromTime.gatherRows(timeRows) }
        pre = pre + fromTime
        if config.includeChainState { pre = pre + linear(x, weight: w[2], bias: nil) }
        var h = body.activation(pre)
        for i in 1..<(body.layers.count - 1) { h = body.layers[i](h, activation: body.activation) }
        return scale.sigma(raw: body.layers[body.layers.count - 1](h, activation: body.outputActivation))
    }
}
