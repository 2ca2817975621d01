import FlowNN

/// What a likelihood-ratio objective needs later from a sampled chain, and nothing more
/// (docs/algorithms.md §7: keep only what the objective needs).
///
/// A chain is a list of stochastic transitions `x_k → x_{k+1}`. For Flow-SDE's one-step schedule
/// that is one transition per row with the row's own `k = j`; for the all-steps schedule and
/// Flow-Noise it is all `K` transitions. The initial noise `x_0` is kept for the chain's first
/// log-density term (it cancels in ratios but enters the mean-over-steps aggregation).
public struct ChainRecord {
    public struct Transition {
        /// Denoising step index per row.
        public var step: [Int]
        /// `x_k` per row, `[B, H·D]` (normalised action space).
        public var before: Tensor
        /// `x_{k+1}` per row, `[B, H·D]`.
        public var after: Tensor

        public init(step: [Int], before: Tensor, after: Tensor) {
            self.step = step
            self.before = before
            self.after = after
        }
    }

    public var mode: SamplingMode
    public var initialNoise: Tensor
    public var transitions: [Transition]

    /// Stored chains built outside the sampler (benchmarks, tests, imported rollouts).
    public init(mode: SamplingMode, initialNoise: Tensor, transitions: [Transition]) {
        self.mode = mode
        self.initialNoise = initialNoise
        self.transitions = transitions
    }

    public var rows: Int { initialNoise.shape[0] }

    /// The largest |x| over every stored state (initial noise, each transition's `x_k` and
    /// `x_{k+1}`), in normalised action space. The action bounds clip only the executed action,
    /// never the chain, so this shows chains drifting far from where the policy was fitted.
    public var largestStateMagnitude: Float {
        transitions.reduce(initialNoise.largestMagnitude) { m, t in max(m, t.before.largestMagnitude, t.after.largestMagnitude) }
    }

    /// The largest |x_k| at each chain index `k = 0…K` (the initial noise, then each transition's
    /// `x_{k+1}`), when every transition holds one denoising step for all rows (all-steps Flow-SDE,
    /// Flow-Noise); nil for the one-step schedule, whose rows sit at different steps. Shows where
    /// along the chain states leave the range the policy was fitted on.
    public var largestStateMagnitudeByIndex: [Float]? {
        var byIndex = [initialNoise.largestMagnitude]
        for (k, t) in transitions.enumerated() {
            guard t.step.allSatisfy({ $0 == k }) else { return nil }
            byIndex.append(t.after.largestMagnitude)
        }
        return byIndex
    }

    /// The records of the selected rows (for minibatches).
    public func rows(_ indices: [Int]) -> ChainRecord {
        ChainRecord(mode: mode, initialNoise: initialNoise.gatherRows(indices), transitions: transitions.map { t in
            Transition(step: indices.map { t.step[$0] }, before: t.before.gatherRows(indices),
                       after: t.after.gatherRows(indices))
        })
    }

    /// Records of several rollout calls joined row-wise (they must share mode and transition count).
    public static func concatenate(_ records: [ChainRecord]) -> ChainRecord {
        precondition(!records.isEmpty, "nothing to concatenate")
        let first = records[0]
        precondition(records.allSatisfy { $0.mode == first.mode && $0.transitions.count == first.transitions.count },
                     "records differ in mode or transition count")
        return ChainRecord(
            mode: first.mode,
            initialNoise: Tensor.concat(records.map(\.initialNoise), axis: 0),
            transitions: (0..<first.transitions.count).map { s in
                Transition(step: records.flatMap { $0.transitions[s].step },
                           before: Tensor.concat(records.map { $0.transitions[s].before }, axis: 0),
                           after: Tensor.concat(records.map { $0.transitions[s].after }, axis: 0))
            })
    }
}
