import FlowDistributed
import FlowEnvs
import FlowNN
import FlowPolicy

/// Supervised fine-tuning of a flow policy on demonstrations with the conditional flow-matching
/// loss (docs/algorithms.md §2).
///
/// ```swift
/// let demos = try DemonstrationDataset.read(from: "demos.safetensors")
/// let trainer = try SFTTrainer(dataset: demos, policyConfig: policyConfig, config: SFTConfig())
/// let result = try trainer.run { log in print(log.step, log.trainLoss) }
/// try result.policy.save(to: "sft.safetensors")
/// ```
///
/// Episodes are split into training and held-out sets (by episode, so no held-out step leaks).
/// Each step draws a minibatch of `(observation, next H actions)` pairs, a flow time per pair
/// (uniform or π0's Beta) and Gaussian noise, and takes one AdamW step. The held-out loss uses fixed
/// `(t, ε)` draws so its curve is comparable across evaluations. With `emaDecay` set, an exponential
/// moving average of the weights is kept and is what `result.policy` holds.
///
/// Data-parallel (docs/distributed.md): given a communicator of N ranks, every rank draws the same
/// minibatch, differentiates the loss on its contiguous share of the rows (weighted by that share)
/// and the gradients are summed over ranks in rank order, so every rank takes the step one process
/// takes on the whole minibatch, up to the order of the float sums.
public final class SFTTrainer {
    public let config: SFTConfig
    /// Seed of the episode split, the minibatches and the flow-time and noise draws (the run's seed).
    public let seed: UInt64
    public let policy: FlowPolicy
    public let train: ChunkedDemonstrations
    public let heldOut: ChunkedDemonstrations?
    let optimizer: AdamW
    var rng: RandomGenerator
    var ema: [String: Tensor]?
    public private(set) var step = 0
    /// Steps between held-out evaluations in `run` (and always at the last step).
    public var evalEvery = 500
    /// Steps between `run`'s log calls (and always at the last step and with each held-out loss).
    public var logEvery = 100
    /// The ranks of a data-parallel job; one process by default.
    public var communicator: any Communicator = SingleProcess()
    /// Held-out pairs evaluated (at most).
    public static let heldOutPairs = 1024

    public struct Log: Sendable {
        public var step: Int
        public var trainLoss: Float
        public var heldOutLoss: Float?
        public var learningRate: Float
        public var gradientNorm: Float
    }

    public struct Result {
        /// The trained policy (the EMA weights when EMA is on).
        public var policy: FlowPolicy
        public var finalTrainLoss: Float
        public var finalHeldOutLoss: Float?
    }

    /// Builds a policy whose normalisers are fitted to the training episodes, and the trainer.
    public convenience init(dataset: DemonstrationDataset, policyConfig: FlowPolicyConfig, config: SFTConfig, seed: UInt64 = 0) throws {
        guard dataset.episodeCount > 0 else { throw DemonstrationDatasetError.empty(path: dataset.envID) }
        var pc = policyConfig
        pc.observationDim = dataset.observationDim
        pc.actionDim = dataset.actionDim
        if pc.taskCount == 0 && dataset.taskNames.count > 1 { pc.taskCount = dataset.taskNames.count }
        try pc.validate()
        let (trainSet, _) = Self.split(dataset, heldOutFraction: config.heldOutShare, seed: seed)
        var rng = RandomGenerator(seed: seed)
        let policy = FlowPolicy(config: pc,
                                observationNormalizer: Normalizer.fit(trainSet.observations, dim: dataset.observationDim, stdFloor: pc.observationStdFloor),
                                actionNormalizer: Normalizer.fit(trainSet.actions, dim: dataset.actionDim), rng: &rng)
        try self.init(policy: policy, dataset: dataset, config: config, seed: seed)
    }

    /// Trains an existing policy (its normalisers are kept).
    public init(policy: FlowPolicy, dataset: DemonstrationDataset, config: SFTConfig, seed: UInt64 = 0) throws {
        try config.validateAll(path: "sft")
        guard dataset.observationDim == policy.config.observationDim, dataset.actionDim == policy.config.actionDim else {
            throw SFTError.datasetMismatch(datasetObs: dataset.observationDim, datasetAct: dataset.actionDim,
                                           policyObs: policy.config.observationDim, policyAct: policy.config.actionDim)
        }
        guard dataset.image == policy.config.imageLayout else {
            throw SFTError.observationKindMismatch(dataset: ImageLayout.described(dataset.image),
                                                   policy: ImageLayout.described(policy.config.imageLayout))
        }
        self.config = config
        self.seed = seed
        self.policy = policy
        let (trainSet, heldSet) = Self.split(dataset, heldOutFraction: config.heldOutShare, seed: seed)
        train = ChunkedDemonstrations(trainSet, chunkLength: policy.config.chunkLength)
        heldOut = heldSet.map { ChunkedDemonstrations($0, chunkLength: policy.config.chunkLength) }
        optimizer = AdamW(schedule: .warmupCosine(peak: config.learningRate, warmupSteps: config.warmupSteps,
                                                  totalSteps: config.steps, final: config.learningRate * config.finalLearningRateFraction),
                          betas: (0.9, 0.95), weightDecay: config.weightDecayRate)
        rng = RandomGenerator(seed: seed).split(key: 0x5F7)
        ema = config.emaDecayRate == nil ? nil : policy.parameterValues()
    }

    /// Episode split: a seeded shuffle; at least one training episode; held-out only when ≥ 1 episode fits.
    static func split(_ d: DemonstrationDataset, heldOutFraction: Float, seed: UInt64) -> (DemonstrationDataset, DemonstrationDataset?) {
        var r = RandomGenerator(seed: seed).split(key: 0xE915)
        let order = r.permutation(d.episodeCount)
        let held = min(Int((Float(d.episodeCount) * heldOutFraction).rounded(.down)), d.episodeCount - 1)
        if held < 1 { return (d, nil) }
        return (d.episodes(Array(order[held...]).sorted()), d.episodes(Array(order[..<held]).sorted()))
    }

    /// The CFM loss of a batch of pairs at the given flow times and noise (tracked when inside `valueAndGrad`).
    /// With `imageShift`, a pixel policy's images are shifted by up to `pad` pixels each way with
    /// shifts drawn from `rng` (DrQ's augmentation).
    public static func loss(_ policy: FlowPolicy, pairs: ChunkedDemonstrations, indices: [Int], times: [Float], noise: Tensor,
                            imageShift: (pad: Int, rng: RandomGenerator)? = nil) throws -> Tensor {
        let b = indices.count
        let (obs, chunks, tasks) = pairs.batch(indices: indices)
        let od = pairs.dataset.observationDim
        var observations = Tensor(obs, shape: [b, od])
        if var shift = imageShift, shift.pad > 0 { observations = policy.shiftingImages(observations, pad: shift.pad, rng: &shift.rng) }
        let features = try policy.encode(observations: observations, taskIndices: tasks)
        let a = policy.normalized(actions: Tensor(chunks, shape: [b, policy.config.chunkLength, policy.config.actionDim]))
        let t = Tensor(times, shape: [b, 1])
        let xt = ConditionalFlowMatching.interpolate(action: a, noise: noise, t: t)
        let v = policy.velocity(xt, observation: policy.prepare(features: features), time: policy.timeFeatures(times)).velocity
        return ConditionalFlowMatching.perRowLoss(predicted: v, action: a, noise: noise).mean()
    }

    /// One optimisation step; returns the log line.
    public func trainStep() throws -> Log {
        let b = config.batchSize
        let indices = (0..<b).map { _ in rng.nextInt(below: train.count) }
        let times = config.timeSampling.sample(b, rng: &rng)
        let noise = Tensor.randomNormal([b, policy.config.chunkWidth], rng: &rng)
        var shift = (pad: config.imageShift, rng: rng.split(key: UInt64(step)))
        var loss: Tensor, grads: Gradients
        if communicator.size > 1 {
            // This rank's rows of the minibatch; its image shifts from its own stream.
            let parallel = DataParallel(communicator: communicator)
            let (rank, ranks) = (communicator.rank, communicator.size)
            let rows = (b * rank / ranks)..<(b * (rank + 1) / ranks)
            let share = Float(rows.count) / Float(b)
            shift.rng = shift.rng.split(key: UInt64(rank))
            var localLoss: Float = 0
            grads = Gradients.zeros(like: policy)
            if !rows.isEmpty {
                let part = try valueAndGrad(policy) { p in
                    try Self.loss(p, pairs: train, indices: Array(indices[rows]), times: Array(times[rows]),
                                  noise: noise.gatherRows(Array(rows)), imageShift: shift) * share
                }
                (localLoss, grads) = (part.value.item, part.gradients)
            }
            grads = parallel.summed(grads, model: policy)
            loss = Tensor(Float(communicator.sumInRankOrder([Double(localLoss)])[0]))
        } else {
            (loss, grads) = try valueAndGrad(policy) { p in
                try Self.loss(p, pairs: train, indices: indices, times: times, noise: noise, imageShift: shift)
            }
        }
        let lr = optimizer.currentLearningRate
        let norm = grads.clipGlobalNorm(config.gradientClip)
        guard loss.item.isFinite, grads.isFinite else { throw SFTError.nonFiniteLoss(step: step + 1) }
        optimizer.update(policy, gradients: grads)
        step += 1
        if let decay = config.emaDecayRate, var shadow = ema {
            for (name, p) in policy.namedParameters() {
                shadow[name] = shadow[name]! * decay + p.value * (1 - decay)
            }
            ema = shadow
        }
        return Log(step: step, trainLoss: loss.item, heldOutLoss: nil, learningRate: lr, gradientNorm: norm)
    }

    /// CFM loss on the held-out pairs (up to `heldOutPairs` of them) with fixed `(t, ε)` draws,
    /// evaluated with the EMA weights when EMA is on.
    public func heldOutLoss() throws -> Float? {
        guard let heldOut else { return nil }
        let evalPolicy = try currentPolicy()
        var r = RandomGenerator(seed: seed).split(key: 0x4E1D)
        let n = min(heldOut.count, Self.heldOutPairs)
        let indices = (0..<n).map { _ in r.nextInt(below: heldOut.count) }
        let times = config.timeSampling.sample(n, rng: &r)
        let noise = Tensor.randomNormal([n, policy.config.chunkWidth], rng: &r)
        return try Self.loss(evalPolicy, pairs: heldOut, indices: indices, times: times, noise: noise).item
    }

    /// The policy to evaluate or save: the EMA weights when EMA is on, otherwise the trained one.
    public func currentPolicy() throws -> FlowPolicy {
        guard let ema else { return policy }
        let file = try policy.checkpointFile()
        let copy = try FlowPolicy.load(from: file)
        try copy.loadParameterValues(ema)
        return copy
    }

    /// Runs the remaining steps, calling `onLog` every `logEvery` steps (with the held-out loss every
    /// `evalEvery`) and writing checkpoints every `checkpointInterval` steps when a path is given.
    public func run(checkpointPath: String? = nil, onLog: (Log) -> Void = { _ in }) throws -> Result {
        var last = Log(step: step, trainLoss: .nan, heldOutLoss: nil, learningRate: 0, gradientNorm: 0)
        while step < config.steps {
            last = try trainStep()
            if step % evalEvery == 0 || step == config.steps { last.heldOutLoss = try heldOutLoss() }
            if step % logEvery == 0 || step == config.steps || last.heldOutLoss != nil { onLog(last) }
            if let path = checkpointPath, step % config.checkpointInterval == 0 {
                try saveCheckpoint(to: path)
            }
        }
        if !DataParallel(communicator: communicator).parametersAgree(policy) { throw RLError.ranksDiverged(iteration: step) }
        if let path = checkpointPath { try saveCheckpoint(to: path) }
        return Result(policy: try currentPolicy(), finalTrainLoss: last.trainLoss, finalHeldOutLoss: try heldOutLoss())
    }

    /// The policy (EMA weights when on) with the SFT step in its metadata.
    public func saveCheckpoint(to path: String) throws {
        try currentPolicy().save(to: path, metadata: ["sft_step": "\(step)", "sft_config": summary])
    }

    /// The settings in one line, stored in checkpoints.
    var summary: String {
        "steps=\(config.steps) batch=\(config.batchSize) lr=\(config.learningRate) warmup=\(config.warmupSteps) "
            + "wd=\(config.weightDecayRate) ema=\(config.emaDecayRate.map { "\($0)" } ?? "off") t=\(config.timeSampling.rawValue) seed=\(seed)"
    }
}

public enum SFTError: Error, CustomStringConvertible, Equatable {
    case datasetMismatch(datasetObs: Int, datasetAct: Int, policyObs: Int, policyAct: Int)
    case nonFiniteLoss(step: Int)
    case observationKindMismatch(dataset: String, policy: String)

    public var description: String {
        switch self {
        case .observationKindMismatch(let dataset, let policy):
            return "The demonstrations hold \(dataset) observations but the policy reads \(policy); collect demonstrations with the policy's env.observation and env.image_size."

        case .datasetMismatch(let dO, let dA, let pO, let pA):
            return "The demonstrations have observation/action widths \(dO)/\(dA) but the policy expects \(pO)/\(pA); use demonstrations of the policy's environment."
        case .nonFiniteLoss(let step):
            return "The SFT loss became NaN or infinite at step \(step); lower sft.lr or check the demonstrations for extreme values."
        }
    }
}
