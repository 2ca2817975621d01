import FlowNN

/// Samples action chunks for a batch of environments by `K` denoising steps (docs/algorithms.md §3).
///
/// ```swift
/// let sampler = ChunkSampler(mode: .flowSDE(schedule: .oneStep, noiseLevel: 0.5))
/// let s = try sampler.sample(policy, observations: obs, rng: &rng)
/// env.step(s.actions)                    // [B, H, D], clipped to the bounds by the environment
/// buffer.store(s.record!, s.logDensity!) // what the PPO ratio needs later
/// ```
///
/// Random numbers are drawn in a fixed order from `rng` — the initial noise (unless given), then
/// the stochastic step of each row (one-step schedule), then the step noise — so the same
/// generator state gives bit-identical samples. With `rowGenerators` each row draws from its own
/// generator instead, and its sample does not depend on which rows share its batch (`ChainNoise`).
public struct ChunkSampler: Sendable {
    public var mode: SamplingMode

    public init(mode: SamplingMode = .ode) { self.mode = mode }

    /// A sampled chunk and, for stochastic modes, what its objective needs.
    public struct Sample {
        /// Actions in environment units `[B, H, D]` (not clipped: executing clips, the chain does not).
        public var actions: Tensor
        /// The final chain state `x_K` (normalised) `[B, H·D]`.
        public var normalizedChunk: Tensor
        /// The stochastic transitions and initial noise; nil for `.ode`.
        public var record: ChainRecord?
        /// Per-element log-density of each recorded transition `[B, S, H·D]`, computed by the same
        /// code as `ChainLogDensity.evaluate`; nil for `.ode`.
        public var logDensity: Tensor?
        /// Noise std of each recorded transition `[B, S, 1]` (Flow-SDE) or `[B, S, H·D]` (Flow-Noise).
        public var std: Tensor?
        /// The velocity network's last hidden features averaged over the K steps `[B, width]`
        /// (input of the action-expert critic, §4.4 (c)).
        public var meanVelocityFeatures: Tensor
        /// Observation features `[B, F]`.
        public var observationFeatures: Tensor
    }

    public func sample(_ policy: FlowPolicy, observations: Tensor, taskIndices: [Int]? = nil,
                       initialNoise: Tensor? = nil, rng: inout RandomGenerator) throws -> Sample {
        let features = try policy.encode(observations: observations, taskIndices: taskIndices)
        return sample(policy, features: features, initialNoise: initialNoise, rng: &rng)
    }

    /// Sampling with one generator per row (`rowGenerators[i]` for row i, advanced by what row i drew).
    public func sample(_ policy: FlowPolicy, observations: Tensor, taskIndices: [Int]? = nil,
                       initialNoise: Tensor? = nil, rowGenerators: inout [RandomGenerator]) throws -> Sample {
        precondition(rowGenerators.count == observations.shape[0], "one generator per row")
        let features = try policy.encode(observations: observations, taskIndices: taskIndices)
        var noise = ChainNoise.perRow(rowGenerators)
        defer { rowGenerators = noise.rowGenerators! }
        return sample(policy, features: features, initialNoise: initialNoise, noise: &noise)
    }

    /// Sampling from precomputed observation features `[B, F]`.
    public func sample(_ policy: FlowPolicy, features: Tensor, initialNoise: Tensor? = nil,
                       rng: inout RandomGenerator) -> Sample {
        var noise = ChainNoise.shared(rng)
        defer { rng = noise.sharedGenerator! }
        return sample(policy, features: features, initialNoise: initialNoise, noise: &noise)
    }

    func sample(_ policy: FlowPolicy, features: Tensor, initialNoise: Tensor?, noise: inout ChainNoise) -> Sample {
        if mode == .flowNoise { precondition(policy.noiseNetwork != nil, FlowPolicyError.missingNoiseNetwork.description) }
        let b = features.shape[0], width = policy.config.chunkWidth, k = policy.config.denoisingSteps
        let x0 = initialNoise ?? noise.initial(rows: b, width: width)
        precondition(x0.shape == [b, width], "initial noise must be [\(b), \(width)]")

        // Which steps are stochastic, per row.
        var chosen = [Int](repeating: -1, count: b)
        if case .flowSDE(.oneStep, _) = mode {
            chosen = noise.steps(rows: b, below: k - 1)
        }
        func isStochastic(_ step: Int, _ row: Int) -> Bool {
            switch mode {
            case .ode: return false
            case .flowSDE(.allSteps, _), .flowNoise: return true
            case .flowSDE(.oneStep, _): return chosen[row] == step
            }
        }

        let stepper = DenoisingStep(policy: policy, mode: mode)
        let observation = policy.prepare(features: features)
        var x = x0
        var featureSum = Tensor.zeros([b, policy.config.velocityWidth])
        var transitions: [ChainRecord.Transition] = []
        var logDensities: [Tensor] = [], stds: [Tensor] = []
        // One-step schedule: each row's transition is collected at its own step.
        var oneBefore = [Tensor?](repeating: nil, count: k), oneAfter = [Tensor?](repeating: nil, count: k)
        var oneLog = [Tensor?](repeating: nil, count: k), oneStd = [Tensor?](repeating: nil, count: k)

        for step in 0..<k {
            let flags = (0..<b).map { isStochastic(step, $0) }
            let m = stepper.moments(x: x, steps: [Int](repeating: step, count: b), stochastic: flags,
                                    observation: observation, sharedStep: step)
            featureSum = featureSum + m.velocityFeatures
            let next: Tensor
            if flags.contains(true) {
                let z = noise.step(flags: flags, width: width)
                let draw = DenoisingStep.sample(m, noise: z)
                next = draw.next
                let logp = draw.logDensity
                switch mode {
                case .flowSDE(.oneStep, _):
                    oneBefore[step] = x; oneAfter[step] = next; oneLog[step] = logp; oneStd[step] = m.std
                default:
                    transitions.append(.init(step: [Int](repeating: step, count: b), before: x, after: next))
                    logDensities.append(logp)
                    stds.append(m.std)
                }
            } else {
                next = m.mean
            }
            x = next
        }

        if case .flowSDE(.oneStep, _) = mode {
            // Gather each row's own transition (rows of step j from the tensors of step j).
            func pick(_ perStep: [Tensor?]) -> Tensor {
                let cols = perStep.first(where: { $0 != nil })!!.shape[1]
                return Tensor.filled(shape: [b, cols]) { out in
                    for i in 0..<b {
                        let src = perStep[chosen[i]]!
                        src.withUnsafeBufferPointer { p in
                            for c in 0..<cols { out[i * cols + c] = p[i * cols + c] }
                        }
                    }
                }
            }
            transitions = [.init(step: chosen, before: pick(oneBefore), after: pick(oneAfter))]
            logDensities = [pick(oneLog)]
            stds = [pick(oneStd)]
        }

        let record = mode.isStochastic ? ChainRecord(mode: mode, initialNoise: x0, transitions: transitions) : nil
        func stackSteps(_ ts: [Tensor]) -> Tensor? {
            guard !ts.isEmpty else { return nil }
            return Tensor.concat(ts.map { $0.reshaped([b, 1, $0.shape[1]]) }, axis: 1)
        }
        return Sample(actions: policy.actions(fromNormalized: x), normalizedChunk: x, record: record,
                      logDensity: stackSteps(logDensities), std: stackSteps(stds),
                      meanVelocityFeatures: featureSum * (1 / Float(k)), observationFeatures: features)
    }
}
