import FlowConfig
import FlowTensor
import FlowNN

/// Everything that determines a `FlowPolicy`'s architecture. It is stored in the checkpoint's
/// metadata, so `FlowPolicy.load(path)` rebuilds the network with nothing else. Its knobs and their
/// defaults are `PolicyArchitecture`'s (the `policy:` section); this adds what the environment and the
/// method decide (widths, task count, noise network, the fitted denoised bound).
public struct FlowPolicyConfig: Codable, Sendable, Equatable {
    /// Length of an observation vector.
    public var observationDim: Int
    /// Dimension `D` of one action.
    public var actionDim: Int
    /// Actions per chunk `H` (docs/algorithms.md §5: 5).
    public var chunkLength: Int
    /// Denoising steps `K` (docs/algorithms.md §5: 4–10).
    public var denoisingSteps: Int
    /// Number of tasks for a multi-task policy (0: no task embedding).
    public var taskCount: Int = 0
    /// Width of the learned task embedding (or of the instruction features that replace it).
    public var taskEmbeddingDim: Int
    /// The tasks' instruction sentences, one per task index, when the policy knows its task from the
    /// instruction (an `InstructionEncoder` over their words) instead of a learned embedding per
    /// index; nil = the embedding. The vocabulary is rebuilt from these, so the checkpoint keeps them.
    public var instructions: [String]? = nil
    /// Hidden widths of the observation encoder; its output width is the last entry.
    public var encoderWidths: [Int]
    /// Width of the sinusoidal time embedding (and of the time MLP that follows it).
    public var timeEmbeddingDim: Int
    /// Hidden width of the velocity network.
    public var velocityWidth: Int
    /// Hidden layers of the velocity network.
    public var velocityDepth: Int
    public var activation: Activation
    /// How the velocity network sees observation and time.
    public var conditioning: Conditioning
    /// Layer normalisation in the hidden layers.
    public var layerNorm: Bool
    /// The learned noise network of Flow-Noise (§3.3); nil when the policy has none.
    public var noiseNetwork: NoiseNetworkConfig? = nil
    /// Normalised observations are clipped to `±observationClip` before the encoder; nil = no clip.
    /// A dimension that barely moved in the demonstrations (MetaWorld's cube orientation: std 0.0009
    /// over 10 pick-place demonstrations) otherwise feeds the encoder values in the hundreds once it
    /// moves during RL. Stable Baselines' VecNormalize clips at 10 for the same reason.
    public var observationClip: Float?
    /// The smallest std the observation normaliser divides by when it is fitted to demonstrations
    /// (`Normalizer.fit`); nil = each dimension's own std. Only fitting reads it: a saved policy keeps
    /// the normaliser it was fitted with.
    public var observationStdFloor: Float?
    /// Every denoising step clamps its data estimate `x − t·v` to `±denoisedClip` in normalised
    /// action units (`DenoisedClamp`, docs/algorithms.md §3.4), in rollouts, updates and evaluation
    /// alike; nil = unbounded chains. A sampling setting, not part of the weights: it may be changed
    /// on a trained policy (`FlowPolicy.setDenoisedClip`).
    public var denoisedClip: Float? = nil
    /// For pixel observations: where the camera image sits in each observation row and the
    /// convolutional encoder that reads it; nil for state vectors.
    public var image: ImageInput? = nil

    public enum Conditioning: String, Codable, ConfigEnum {
        /// Each hidden layer is modulated by FiLM from `[observation features, time features]`.
        case film
        /// `[x, observation features, time features]` concatenated at the input.
        case concat
    }

    /// A single-task policy for observations and actions of these widths with `architecture`'s knobs
    /// (FlowTune's defaults unless given); no noise network, no denoised bound until one is set.
    public init(observationDim: Int, actionDim: Int, architecture: PolicyArchitecture = PolicyArchitecture()) {
        self.observationDim = observationDim
        self.actionDim = actionDim
        chunkLength = architecture.chunkLength
        denoisingSteps = architecture.denoisingSteps
        encoderWidths = architecture.encoderWidths
        velocityWidth = architecture.hiddenWidth
        velocityDepth = architecture.depth
        activation = FlowTensor.Activation(rawValue: architecture.activation.rawValue) ?? .silu
        layerNorm = architecture.layerNorm
        observationClip = architecture.observationClip.map(Float.init)
        observationStdFloor = architecture.observationStdFloor.map(Float.init)
        timeEmbeddingDim = architecture.timeEmbeddingDim
        conditioning = architecture.conditioning
        taskEmbeddingDim = architecture.taskEmbeddingDim
    }

    /// Flattened chunk width `H·D`.
    public var chunkWidth: Int { chunkLength * actionDim }

    /// Checks ranges; the sentence names the field and what is allowed.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ rule: String) throws {
            if !ok { throw FlowPolicyError.invalidConfig(field: field, rule: rule) }
        }
        try check(observationDim >= 1, "observationDim", "must be ≥ 1")
        try check(actionDim >= 1, "actionDim", "must be ≥ 1")
        try check(chunkLength >= 1, "chunkLength", "must be ≥ 1")
        try check(denoisingSteps >= 2, "denoisingSteps", "must be ≥ 2 (Flow-SDE's one-step schedule needs a non-final step)")
        try check(taskCount >= 0, "taskCount", "must be ≥ 0")
        try check(taskCount == 0 || taskEmbeddingDim >= 1, "taskEmbeddingDim", "must be ≥ 1 when taskCount > 0")
        if let instructions {
            try check(taskCount > 0 && instructions.count == taskCount, "instructions", "needs one sentence per task of a multi-task policy")
        }
        try check(!encoderWidths.isEmpty && encoderWidths.allSatisfy { $0 >= 1 }, "encoderWidths", "must be a non-empty list of positive widths")
        try check(timeEmbeddingDim >= 2 && timeEmbeddingDim % 2 == 0, "timeEmbeddingDim", "must be an even number ≥ 2")
        try check(velocityWidth >= 1, "velocityWidth", "must be ≥ 1")
        try check(velocityDepth >= 1, "velocityDepth", "must be ≥ 1")
        if let c = observationClip { try check(c > 0 && c.isFinite, "observationClip", "must be a positive number") }
        if let f = observationStdFloor { try check(f > 0 && f.isFinite, "observationStdFloor", "must be a positive number") }
        if let c = denoisedClip { try check(c > 0 && c.isFinite, "denoisedClip", "must be a positive number") }
        if let image {
            try check(image.offset >= 0 && image.size >= 8 && image.channels == image.encoder.inputChannels
                      && image.rowWidth == observationDim, "image",
                      "must describe the observation rows: offset + size·size·channels = observationDim (\(observationDim)), channels = the encoder's")
            try check(!image.encoder.blockChannels.isEmpty && image.encoder.blockChannels.count == image.encoder.blockStrides.count
                      && ([image.encoder.stemChannels] + image.encoder.blockChannels).allSatisfy { $0 >= 1 && $0 % image.encoder.groups == 0 },
                      "image.encoder", "needs one stride per block and channel counts divisible by the groups")
            if let c = image.encoder.conditionWidth {
                try check(taskCount > 0 && c == taskEmbeddingDim, "image.encoder.conditionWidth",
                          "FiLM conditioning of the image encoder needs a multi-task policy and the task features' width (\(taskEmbeddingDim))")
            }
        }
        if let noise = noiseNetwork {
            try check(!noise.widths.isEmpty && noise.widths.allSatisfy { $0 >= 1 }, "noiseNetwork.widths", "must be one or more widths ≥ 1")
            try check(noise.sigmaMin > 0 && noise.sigmaMax >= noise.sigmaMin, "noiseNetwork.sigmaMin/sigmaMax", "need 0 < sigmaMin ≤ sigmaMax")
        }
    }
}

/// How a pixel policy reads its observation rows: `offset` state components, then a
/// `size × size × channels` image with values in [0, 1] (NHWC), read by an `ImageEncoder` whose
/// features are concatenated with the normalised state before the observation MLP.
public struct ImageInput: Codable, Sendable, Equatable {
    public var offset: Int
    public var size: Int
    public var channels: Int
    public var encoder: ImageEncoder.Config

    public init(offset: Int, size: Int, channels: Int = 3, encoder: ImageEncoder.Config) {
        self.offset = offset
        self.size = size
        self.channels = channels
        self.encoder = encoder
    }

    /// The width of a whole observation row.
    public var rowWidth: Int { offset + size * size * channels }
}

/// Flow-Noise's noise network (docs/algorithms.md §3.3).
public struct NoiseNetworkConfig: Codable, Sendable, Equatable {
    /// Hidden widths of the σ MLP, one per hidden layer.
    public var widths: [Int] = [128, 128]
    public var sigmaMin: Float = 0.08
    public var sigmaMax: Float = 0.16
    /// Also feed the chain state `x_k` (default: conditioning features only).
    public var includeChainState: Bool = false
    /// Let gradients of the noise network flow into the shared encoder and time MLP (default: detached).
    public var trainSharedFeatures: Bool = false

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case widths, sigmaMin, sigmaMax, includeChainState, trainSharedFeatures
        /// Policies written before `widths` held one `width` for both hidden layers.
        case legacyWidth = "width"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let widths = try c.decodeIfPresent([Int].self, forKey: .widths) {
            self.widths = widths
        } else {
            let width = try c.decode(Int.self, forKey: .legacyWidth)
            widths = [width, width]
        }
        sigmaMin = try c.decode(Float.self, forKey: .sigmaMin)
        sigmaMax = try c.decode(Float.self, forKey: .sigmaMax)
        includeChainState = try c.decode(Bool.self, forKey: .includeChainState)
        trainSharedFeatures = try c.decode(Bool.self, forKey: .trainSharedFeatures)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(widths, forKey: .widths)
        try c.encode(sigmaMin, forKey: .sigmaMin)
        try c.encode(sigmaMax, forKey: .sigmaMax)
        try c.encode(includeChainState, forKey: .includeChainState)
        try c.encode(trainSharedFeatures, forKey: .trainSharedFeatures)
    }
}

/// Errors a user can cause with policy configs and files.
public enum FlowPolicyError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(field: String, rule: String)
    case notAPolicyCheckpoint(path: String, reason: String)
    case observationShape(expected: Int, got: [Int])
    case taskIndexOutOfRange(index: Int, taskCount: Int)
    case missingNoiseNetwork

    public var description: String {
        switch self {
        case .invalidConfig(let field, let rule):
            return "Policy config field '\(field)' \(rule)."
        case .notAPolicyCheckpoint(let path, let reason):
            return "\(path) is not a FlowTune policy checkpoint (\(reason)); pass a file written by `flowtune sft` or `flowtune train`."
        case .observationShape(let expected, let got):
            return "Observations must be [batch, \(expected)], got \(got); check that the environment matches the one the policy was trained on."
        case .taskIndexOutOfRange(let index, let taskCount):
            return "Task index \(index) is outside 0..<\(taskCount) for this multi-task policy."
        case .missingNoiseNetwork:
            return "Flow-Noise needs a policy with a noise network; create it with `noiseNetwork` set in its config."
        }
    }
}
