import FlowNN

/// Recomputes the log-density of stored chains under the policy's current parameters
/// (docs/algorithms.md §4.1: re-evaluate `v_θ` at the stored `x_k`; nothing is back-propagated through
/// the chain). All (row, transition) pairs go through the velocity network in one batched pass.
public enum ChainLogDensity {
    public struct Evaluation {
        /// Per-element log-density `[B, S, H·D]` (tracked: differentiable w.r.t. the policy).
        public var logDensity: Tensor
        /// Noise std `[B, S, 1]` (Flow-SDE) or `[B, S, H·D]` (Flow-Noise), tracked for Flow-Noise.
        public var std: Tensor
    }

    /// `features` are the observation features of the record's rows `[B, F]` (from
    /// `policy.encode`, inside the gradient computation when the encoder is trained).
    public static func evaluate(_ policy: FlowPolicy, record: ChainRecord, features: Tensor) -> Evaluation {
        let b = record.rows, s = record.transitions.count
        precondition(s > 0, "the record has no stochastic transitions")
        precondition(features.shape[0] == b, "one feature row per record row")
        // Stack transition-major: row (t·B + i) is transition t of chain i.
        let x = Tensor.concat(record.transitions.map(\.before), axis: 0)
        let after = Tensor.concat(record.transitions.map(\.after), axis: 0)
        let steps = record.transitions.flatMap(\.step)
        let observation = policy.prepare(features: features).tiled(s)
        let stepper = DenoisingStep(policy: policy, mode: record.mode)
        let m = stepper.moments(x: x, steps: steps, stochastic: [Bool](repeating: true, count: b * s),
                                observation: observation)
        let logp = DenoisingStep.logDensity(after, m)
        func rowMajor(_ t: Tensor) -> Tensor {  // [S·B, w] → [B, S, w]
            t.reshaped([s, b, t.shape[1]]).permuted([1, 0, 2])
        }
        return Evaluation(logDensity: rowMajor(logp), std: rowMajor(m.std))
    }
}

/// How per-element log-densities become the log-probability a ratio uses (docs/algorithms.md §3.3, §4.1).
/// Reference implementations differ; a run states which one it used.
public struct LogDensityAggregation: Sendable, Equatable, Codable {
    /// One ratio per chunk, per action step, or per element.
    public enum Granularity: String, Sendable, Codable, CaseIterable { case chunk, actionStep = "step", element }
    public enum Reduction: String, Sendable, Codable, CaseIterable { case sum, mean }

    public var granularity: Granularity = .chunk
    /// Over the chain's terms: `mean` divides by the number of terms, which with
    /// `includeInitialNoise` is `K + 1` (the initial `N(0, I)` term plus `K` transitions).
    public var overSteps: Reduction = .sum
    /// Over the dimensions a ratio covers (H·D for a chunk, D for a step).
    public var overDims: Reduction = .sum
    /// Count the initial noise term `log N(x_0; 0, I)` (it cancels in ratios; it changes the scale
    /// of a mean over steps).
    public var includeInitialNoise: Bool = false

    public init(granularity: Granularity = .chunk, overSteps: Reduction = .sum, overDims: Reduction = .sum,
                includeInitialNoise: Bool = false) {
        self.granularity = granularity
        self.overSteps = overSteps
        self.overDims = overDims
        self.includeInitialNoise = includeInitialNoise
    }

    /// Aggregates `[B, S, H·D]` per-element log-densities (plus the initial noise `[B, H·D]` when
    /// requested) into `[B]` (chunk), `[B, H]` (step) or `[B, H, D]` (element).
    public func aggregate(_ perElement: Tensor, initialNoise: Tensor? = nil, chunkLength: Int, actionDim: Int) -> Tensor {
        let b = perElement.shape[0]
        var terms = perElement
        if includeInitialNoise {
            guard let x0 = initialNoise else { preconditionFailure("includeInitialNoise needs the initial noise") }
            let initial = GaussianLogDensity.standardNormal(x0).reshaped([b, 1, chunkLength * actionDim])
            terms = Tensor.concat([initial, terms], axis: 1)
        }
        let perStep = overSteps == .sum ? terms.sum(axis: 1) : terms.mean(axis: 1)  // [B, H·D]
        switch granularity {
        case .element:
            return perStep.reshaped([b, chunkLength, actionDim])
        case .actionStep:
            let r = perStep.reshaped([b, chunkLength, actionDim])
            return overDims == .sum ? r.sum(axis: 2) : r.mean(axis: 2)
        case .chunk:
            return overDims == .sum ? perStep.sum(axis: 1) : perStep.mean(axis: 1)
        }
    }
}
