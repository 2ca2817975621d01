import FlowConfig
import FlowPolicy

/// Supervised flow matching on the demonstrations (docs/algorithms.md §2): the `sft:` section of a
/// FlowTune config, and what `SFTTrainer` reads. Each knob is declared once, here: its YAML key, its
/// default (the property's initial value), its bounds and its meaning.
///
/// ```yaml
/// sft:
///   steps: 3000
///   time_sampling: beta     # π0's Beta(1.5, 1) leaning toward noisy times
///   ema_decay: 0.999
/// ```
///
/// Numbers are YAML's (Double); the trainer computes in Float (`learningRate`, …). The seed is the
/// run's, given to the trainer beside this.
public struct SFTConfig: ConfigSection {
    public var steps = 2000
    public var batchSize = 128
    public var lr = 1e-3
    public var schedule = LRSchedule.cosine
    public var warmupSteps = 100
    public var weightDecay = 1e-4
    public var gradClip: Double? = 1.0
    public var emaDecay: Double? = nil
    public var timeSampling = ConditionalFlowMatching.TimeSampling.beta
    public var heldOutFraction = 0.0
    public var checkpointInterval = 1000
    public var imageShift = 2

    public init() {}

    public static var fields: [ConfigField<Self>] {[
        .init("steps", \.steps, "optimizer steps", .atLeast(1)),
        .init("batch_size", \.batchSize, "(observation, chunk) pairs per step", .atLeast(1)),
        .init("lr", \.lr, "AdamW peak learning rate", .above(0, atMost: 1)),
        .init("schedule", \.schedule, "learning-rate schedule after warmup"),
        .init("warmup_steps", \.warmupSteps, "linear warmup steps from 0 to lr", .atLeast(0)),
        .init("weight_decay", \.weightDecay, "AdamW decoupled weight decay", .within(0...1)),
        .init("grad_clip", \.gradClip, "global gradient-norm clip; null = none", .greaterThan(0)),
        .init("ema_decay", \.emaDecay, "EMA of the weights used for evaluation; null = no EMA", .strictlyBetween(0, 1)),
        .init("time_sampling", \.timeSampling, "flow time t: uniform, or π0's Beta(1.5, 1) toward t=1"),
        .init("held_out_fraction", \.heldOutFraction, "share of demonstration episodes kept for the held-out loss", .atLeast(0, below: 1)),
        .init("checkpoint_interval", \.checkpointInterval, "steps between SFT checkpoints", .atLeast(1)),
        .init("image_shift", \.imageShift,
              "pixel policies: shift every training image by up to this many pixels each way, the border repeated (DrQ's augmentation; 2 lifted 20-demonstration SFT on reach-obstacle at 32×32 from 14.5% to 69.0%, docs/results/pixels-and-language.md); 0 = none",
              .within(0...16)),
    ]}

    public func validate(path: String) throws(ConfigError) {
        if warmupSteps > steps {
            throw ConfigError.inconsistent(paths: [Self.join(path, "warmup_steps"), Self.join(path, "steps")],
                                           message: "warmup (\(warmupSteps) steps) is longer than training "
                                               + "(\(steps) steps); lower warmup_steps or raise steps.")
        }
    }

    /// Learning-rate schedule after warmup.
    public enum LRSchedule: String, ConfigEnum {
        case constant
        /// Cosine decay to a tenth of the peak.
        case cosine
    }

    // The trainer's Float views of the knobs.
    public var learningRate: Float { Float(lr) }
    /// The learning rate at the last step as a fraction of the peak.
    public var finalLearningRateFraction: Float { schedule == .constant ? 1 : 0.1 }
    var weightDecayRate: Float { Float(weightDecay) }
    /// The clip threshold; none is a threshold no gradient reaches.
    var gradientClip: Float { Float(gradClip ?? 1e30) }
    var emaDecayRate: Float? { emaDecay.map(Float.init) }
    var heldOutShare: Float { Float(heldOutFraction) }
}
