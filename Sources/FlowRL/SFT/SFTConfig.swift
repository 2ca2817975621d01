import FlowPolicy

/// Supervised fine-tuning settings; every knob with its default and meaning.
public struct SFTConfig: Sendable, Equatable, Codable {
    /// Optimisation steps.
    public var steps: Int = 3000
    /// Pairs per minibatch.
    public var batchSize: Int = 256
    /// Peak AdamW learning rate.
    public var learningRate: Float = 1e-3
    /// Final learning rate as a fraction of the peak (cosine decay).
    public var finalLearningRateFraction: Float = 0.1
    /// Linear warm-up steps.
    public var warmupSteps: Int = 100
    /// AdamW decoupled weight decay.
    public var weightDecay: Float = 1e-4
    /// Global gradient-norm clip.
    public var gradientClip: Float = 1.0
    /// EMA decay of the weights (nil: no EMA).
    public var emaDecay: Float? = nil
    /// How flow times are drawn (docs/algorithms.md §2).
    public var timeSampling: ConditionalFlowMatching.TimeSampling = .beta
    /// Fraction of episodes held out for the held-out loss.
    public var heldOutFraction: Float = 0.1
    /// Held-out pairs evaluated (at most).
    public var heldOutPairs: Int = 1024
    /// Steps between held-out evaluations.
    public var evalEvery: Int = 500
    /// Steps between log lines.
    public var logEvery: Int = 100
    /// Steps between checkpoints (0: only at the end).
    public var checkpointEvery: Int = 0
    public var seed: UInt64 = 0

    public init() {}

    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ rule: String) throws {
            if !ok { throw SFTError.invalidConfig(field: field, rule: rule) }
        }
        try check(steps >= 1, "steps", "must be ≥ 1")
        try check(batchSize >= 1, "batch_size", "must be ≥ 1")
        try check(learningRate > 0 && learningRate.isFinite, "learning_rate", "must be a positive number")
        try check((0...1).contains(finalLearningRateFraction), "final_learning_rate_fraction", "must be in [0, 1]")
        try check(warmupSteps >= 0, "warmup_steps", "must be ≥ 0")
        try check(weightDecay >= 0, "weight_decay", "must be ≥ 0")
        try check(gradientClip > 0, "gradient_clip", "must be > 0")
        if let d = emaDecay { try check(d > 0 && d < 1, "ema_decay", "must be in (0, 1)") }
        try check(heldOutFraction >= 0 && heldOutFraction < 1, "held_out_fraction", "must be in [0, 1)")
        try check(heldOutPairs >= 1, "held_out_pairs", "must be ≥ 1")
        try check(evalEvery >= 1, "eval_every", "must be ≥ 1")
        try check(logEvery >= 1, "log_every", "must be ≥ 1")
        try check(checkpointEvery >= 0, "checkpoint_every", "must be ≥ 0")
    }

    /// One-line description stored in checkpoints.
    var summary: String {
        "steps=\(steps) batch=\(batchSize) lr=\(learningRate) warmup=\(warmupSteps) wd=\(weightDecay) ema=\(emaDecay.map { "\($0)" } ?? "off") t=\(timeSampling.rawValue) seed=\(seed)"
    }
}
