import FlowConfig
extension FlowTuneConfig {
    /// The `sft:` section: supervised flow matching on the demonstrations (docs/algorithms.md §2).
    ///
    /// ```yaml
    /// sft:
    ///   steps: 3000
    ///   time_sampling: beta     # π0's Beta(1.5, 1) leaning toward noisy times
    ///   ema_decay: 0.999
    /// ```
    public struct SFT: ConfigSection {
        public var steps = 2000
        public var batchSize = 128
        public var lr = 1e-3
        public var schedule = LRSchedule.cosine
        public var warmupSteps = 100
        public var weightDecay = 1e-4
        public var gradClip: Double? = 1.0
        public var emaDecay: Double? = nil
        public var timeSampling = TimeSampling.beta
        public var heldOutFraction = 0.0
        public var checkpointInterval = 1000

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
        ]}

        public func validate(path: String) throws(ConfigError) {
            if warmupSteps > steps {
                throw ConfigError.inconsistent(paths: [Self.join(path, "warmup_steps"), Self.join(path, "steps")],
                                               message: "warmup (\(warmupSteps) steps) is longer than training "
                                                   + "(\(steps) steps); lower warmup_steps or raise steps.")
            }
        }

        /// Learning-rate schedule after warmup.
        public enum LRSchedule: String, ConfigEnum { case constant, cosine }

        /// How flow time `t` is drawn for the CFM loss (docs/algorithms.md §2).
        public enum TimeSampling: String, ConfigEnum {
            case uniform
            /// `t = 0.999·s + 0.001`, `s ~ Beta(1.5, 1)` (π0).
            case beta
        }
    }
}
