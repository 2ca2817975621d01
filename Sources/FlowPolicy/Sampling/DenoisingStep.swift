import FlowNN

/// One denoising step for a batch of rows, each at its own step index: the single code path that
/// both rollout sampling and the update's log-density recomputation go through, so a ratio is
/// exactly 1 before the first gradient step (docs/algorithms.md §4.1, §7).
struct DenoisingStep {
    let policy: FlowPolicy
    let mode: SamplingMode

    struct Moments {
        /// Mean of `x_{k+1}`, `[N, H·D]`.
        var mean: Tensor
        /// Standard deviation: `[N, 1]` for Flow-SDE (0 on ODE rows), `[N, H·D]` for Flow-Noise.
        var std: Tensor
        /// Whether each row's step is stochastic.
        var stochastic: [Bool]
        /// The velocity network's last hidden features, `[N, width]`.
        var velocityFeatures: Tensor
    }

    /// Moments of `x_{k+1}` given `x_k` for rows with step indices `steps` and prepared observation
    /// features (one row per row of `x`); `stochastic[i]` says whether row i's step is an SDE step
    /// (Flow-SDE) — ignored for the other modes. With `sharedStep` all rows are at that step and the
    /// time features are computed once (`[1, T]`, broadcast); row values are the same either way.
    func moments(x: Tensor, steps: [Int], stochastic flags: [Bool], observation: PreparedObservation, sharedStep: Int? = nil) -> Moments {
        let grid = policy.grid
        let n = x.shape[0]
        let time: Tensor, timeRows: [Int]?
        if let k = sharedStep {
            (time, timeRows) = (policy.timeFeatures(grid.t(k)), nil)
        } else {
            // At most K distinct step times: their features are computed once each.
            (time, timeRows) = policy.distinctTimeFeatures(steps.map { grid.t($0) })
        }
        var (v, hidden) = policy.velocity(x, observation: observation, time: time, timeRows: timeRows)
        if let bound = policy.config.denoisedClip {
            let t = sharedStep.map { Tensor(grid.t($0)) } ?? Tensor(steps.map { grid.t($0) }, shape: [n, 1])
            v = DenoisedClamp.velocity(x: x, v: v, t: t, bound: bound)
        }
        switch mode {
        case .ode:
            return Moments(mean: ODE.step(x: x, v: v, dt: grid.dt), std: Tensor.zeros([n, 1]),
                           stochastic: [Bool](repeating: false, count: n), velocityFeatures: hidden)
        case .flowSDE(_, let noiseLevel):
            let t = steps.map { grid.t($0) }
            let sigma = (0..<n).map { flags[$0] ? FlowSDE.sigma(t: t[$0], noiseLevel: noiseLevel, steps: grid.steps) : 0 }
            let (mean, std) = FlowSDE.moments(x: x, v: v, t: t, dt: grid.dt, sigma: sigma)
            return Moments(mean: mean, std: std, stochastic: flags, velocityFeatures: hidden)
        case .flowNoise:
            guard let noise = policy.noiseNetwork else { preconditionFailure(FlowPolicyError.missingNoiseNetwork.description) }
            // Features and time projected once per source row / distinct time (NoiseNetwork.sigma(features:…)).
            let std = noise.sigma(features: observation.sourceFeatures, rows: observation.rowIndex, time: time,
                                  timeRows: timeRows, chainState: x)
            return Moments(mean: ODE.step(x: x, v: v, dt: grid.dt), std: std,
                           stochastic: [Bool](repeating: true, count: n), velocityFeatures: hidden)
        }
    }

    /// `x_{k+1} = mean + std·z` and its per-element log-density in one pass at rollout (nothing is
    /// tracked there): the same values bit for bit as `mean + std * z` followed by
    /// `logDensity(_:_:)`, which the update uses to recompute them, so first-minibatch ratios stay
    /// exactly 1 (§7) while sampling skips the ten intermediate tensors of the composed ops.
    static func sample(_ m: Moments, noise z: Tensor) -> (next: Tensor, logDensity: Tensor) {
        if m.mean.isTracked || m.std.isTracked {  // inside a gradient computation: the recorded ops
            let next = m.mean + m.std * z
            return (next, logDensity(next, m))
        }
        let mask = m.stochastic.allSatisfy({ $0 }) ? nil : m.stochastic
        let draw = GaussianLogDensity.sample(mean: m.mean, std: m.std, noise: z, rowMask: mask)
        return (draw.sample, draw.logDensity)
    }

    /// Per-element log-density of `after` under the moments; rows with zero std (ODE rows) get 0.
    static func logDensity(_ after: Tensor, _ m: Moments) -> Tensor {
        if m.stochastic.allSatisfy({ $0 }) {
            return GaussianLogDensity.elementwise(after, mean: m.mean, std: m.std)
        }
        // Mixed rows (one-step schedule at rollout): evaluate with std 1 on ODE rows, then zero them.
        let mask = Tensor(m.stochastic.map { $0 ? 1 : 0 }, shape: [m.stochastic.count, 1])
        let safeStd = Tensor.select(mask, m.std, Tensor(1))
        return GaussianLogDensity.elementwise(after, mean: m.mean, std: safeStd) * mask
    }
}
