import FlowConfig
extension FlowTuneConfig {
    /// The `demos:` section: the expert demonstrations SFT learns from.
    ///
    /// ```yaml
    /// demos:
    ///   count: 10            # the few-shot setting of docs/results/builtin-tasks.md
    ///   expert_noise: 0.1
    /// ```
    public struct Demos: ConfigSection {
        public var count = 10
        public var expertNoise = 0.1
        public var successOnly = true
        public var path: String? = nil

        public init() {}

        public static var fields: [ConfigField<Self>] {[
            .init("count", \.count, "expert episodes to collect", .atLeast(1)),
            .init("expert_noise", \.expertNoise, "std of Gaussian noise on the scripted expert's actions (action units)", .within(0...2)),
            .init("success_only", \.successOnly, "keep only the episodes the expert finished successfully"),
            .init("path", \.path, "load demonstrations from this safetensors file instead of collecting; null = collect"),
        ]}
    }
}
