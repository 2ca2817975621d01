extension FlowTuneConfig {
    /// The `eval:` section: how success rates are measured (evaluation uses the ODE
    /// sampler of docs/algorithms.md §3.1).
    ///
    /// ```yaml
    /// eval:
    ///   episodes: 200        # final evaluation; 95% CI ≈ ±7 points at 50%
    ///   stochastic: false    # deterministic ODE sampling
    /// ```
    public struct Eval: ConfigSection {
        public var episodes = 200
        public var periodicEpisodes = 50
        public var stochastic = false
        public var seed = 1_000_000

        public init() {}

        public static var fields: [ConfigField<Self>] {[
            .init("episodes", \.episodes, "episodes of the final evaluation", .atLeast(1)),
            .init("periodic_episodes", \.periodicEpisodes, "episodes of each evaluation during training", .atLeast(1)),
            .init("stochastic", \.stochastic, "evaluate with the training sampler instead of the deterministic ODE"),
            .init("seed", \.seed, "first reset seed of the fixed evaluation episodes (kept apart from training seeds)", .atLeast(0)),
        ]}
    }
}
