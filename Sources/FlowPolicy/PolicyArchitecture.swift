import FlowConfig
import FlowTensor
import FlowNN

/// The `policy:` section of a FlowTune config: the flow policy's architecture (docs/algorithms.md
/// §1–3), each knob declared once, here, with its YAML key, default, bounds and meaning.
/// `FlowPolicyConfig(observationDim:actionDim:architecture:)` builds a policy's config from it, and
/// the policy's checkpoint records the result.
///
/// ```yaml
/// policy:
///   chunk_length: 5          # H
///   denoising_steps: 5       # K
///   conditioning: film
/// ```
///
/// Defaults are sized for the built-in tasks on a CPU (measured in docs/results/builtin-tasks.md), not for a
/// billion-parameter VLA: widths 128, SiLU, no layer norm.
public struct PolicyArchitecture: ConfigSection {
    public var chunkLength = 5
    public var denoisingSteps = 5
    public var encoderWidths = [128, 128]
    public var hiddenWidth = 128
    public var depth = 3
    public var activation = Activation.silu
    public var layerNorm = false
    public var observationClip: Double? = 10
    public var observationStdFloor: Double? = nil
    public var denoisedClip = DenoisedClip.auto
    public var timeEmbeddingDim = 32
    public var conditioning = FlowPolicyConfig.Conditioning.film
    public var taskEmbeddingDim = 16
    public var taskConditioning = TaskConditioning.embedding
    public var imageChannels = [16, 16, 32, 32]
    public var imageFeatures = ImageEncoder.Config.Head.spatialSoftmax
    public var imageFilm = true

    public init() {}

    /// The image encoder of a pixel policy: a stem of `imageChannels[0]`, then one residual block per
    /// entry, halving the resolution every second block (docs/architecture.md, "Image observations").
    public var imageEncoder: ImageEncoder.Config {
        var c = ImageEncoder.Config()
        c.stemChannels = imageChannels[0]
        c.blockChannels = imageChannels
        c.blockStrides = imageChannels.indices.map { $0 % 2 == 1 ? 2 : 1 }
        c.groups = imageChannels.allSatisfy { $0 % 8 == 0 } ? 8 : 1
        c.head = imageFeatures
        return c
    }

    public static var fields: [ConfigField<Self>] {[
        .init("chunk_length", \.chunkLength, "H: actions per chunk, all executed before the next decision", .within(1...256)),
        .init("denoising_steps", \.denoisingSteps, "K: integration steps from noise (t=1) to action (t=0)", .within(2...256)),
        .init("encoder_widths", \.encoderWidths, "hidden widths of the observation-encoder MLP",
              each: .within(1...65_536)),
        .init("hidden_width", \.hiddenWidth, "width of every hidden layer of the velocity network", .within(1...65_536)),
        .init("depth", \.depth, "hidden layers of the velocity network", .within(1...64)),
        .init("activation", \.activation, "nonlinearity of every MLP"),
        .init("layer_norm", \.layerNorm, "LayerNorm before each hidden activation"),
        .init("observation_clip", \.observationClip,
              "clip normalised observations to ±this before the encoder (a dimension nearly constant in the demonstrations cannot blow up the features); null = no clip",
              .greaterThan(0)),
        .init("observation_std_floor", \.observationStdFloor,
              "smallest std the observation normaliser divides by when fitted to demonstrations (a dimension that barely moved in them is not magnified); null = each dimension's own std",
              .greaterThan(0)),
        .init("denoised_clip", \.denoisedClip,
              "bound c on every denoising step's data estimate x - t*v, in normalised action units, so chains cannot run away (rollouts, updates, evaluation); auto = 1.5 x the largest normalised demonstration action, fixed at SFT (a policy given to train --init keeps its own); null = unbounded"),
        .init("time_embedding_dim", \.timeEmbeddingDim, "size of the sinusoidal flow-time embedding", .within(2...4096)),
        .init("conditioning", \.conditioning, "how observation and time enter the velocity net: FiLM or concatenation"),
        .init("task_embedding_dim", \.taskEmbeddingDim, "learned task-index embedding for multi-task suites; 0 = none", .within(0...4096)),
        .init("task_conditioning", \.taskConditioning,
              "how a multi-task policy knows its task: a learned embedding per task index, or the task's instruction sentence (a word-embedding encoder trained with the policy)"),
        .init("image_channels", \.imageChannels,
              "pixel policies: channels of the image encoder's residual blocks (the stem has the first; every second block halves the resolution)",
              each: .within(1...1024)),
        .init("image_features", \.imageFeatures,
              "pixel policies: what the image encoder hands on, each last channel's soft-argmax position (spatial-softmax) or its mean (average-pool)"),
        .init("image_film", \.imageFilm,
              "multi-task pixel policies: the task's features (its instruction's encoding or its learned embedding) modulate every residual block of the image encoder by FiLM, so what the encoder looks for depends on the task"),
    ]}

    public func validate(path: String) throws(ConfigError) {
        if case .bound(let c) = denoisedClip, !(c > 0) {
            throw ConfigError.outOfRange(path: Self.join(path, "denoised_clip"), value: Double.yamlText(c),
                                         allowed: "auto, null or a number > 0")
        }
        if timeEmbeddingDim % 2 != 0 {
            throw ConfigError.outOfRange(path: Self.join(path, "time_embedding_dim"), value: "\(timeEmbeddingDim)",
                                         allowed: "an even number (sine and cosine halves)")
        }
    }

    /// The nonlinearity of the policy's MLPs.
    public enum Activation: String, ConfigEnum { case gelu, silu, relu, tanh }

    public enum TaskConditioning: String, ConfigEnum {
        /// A learned vector per task index.
        case embedding
        /// The task's instruction through an `InstructionEncoder` (`FlowPolicyConfig.instructions`).
        case instruction
    }
}

/// `policy.denoised_clip`: `auto`, a positive number, or null (docs/algorithms.md §3.4).
public enum DenoisedClip: ConfigValue {
    /// From the demonstrations when a policy is fitted; a trained policy keeps the bound it has.
    case auto
    /// This bound, also replacing the one of a policy given to `train --init`.
    case bound(Double)
    /// No clamp (also removed from a policy given to `train --init`).
    case off

    public static var configTypeName: String { "auto, null or a number" }

    public init(configNode node: ConfigNode, path: String) throws(ConfigError) {
        if node.isNull { self = .off; return }
        if case let .scalar(text, _) = node, text == "auto" { self = .auto; return }
        guard case let .scalar(text, .plain) = node, let value = PlainScalar.double(text) else {
            throw ConfigError.wrongType(path: path, expected: Self.configTypeName, got: node.describedValue)
        }
        self = .bound(value)
    }

    public var configNode: ConfigNode {
        switch self {
        case .auto: return .scalar("auto")
        case .bound(let c): return c.configNode
        case .off: return .null
        }
    }
}

extension ImageEncoder.Config.Head: ConfigEnum {}
