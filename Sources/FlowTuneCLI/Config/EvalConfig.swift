import FlowConfig
import FlowRL
extension FlowTuneConfig {
    /// The `eval:` section: how success rates are measured (samplers: docs/algorithms.md §3).
    ///
    /// ```yaml
    /// eval:
    ///   episodes: 200        # final evaluation; 95% CI ≈ ±7 points at 50%
    ///   sampler: both        # the deterministic ODE, and the SDE chain that RL optimises
    /// ```
    public struct Eval: ConfigSection {
        public var episodes = 200
        public var periodicEpisodes = 50
        public var sampler = Sampler.ode
        public var seed = 1_000_000
        public var numEnvs = Evaluator.defaultBatchSize

        public init() {}

        public static var fields: [ConfigField<Self>] {[
            .init("episodes", \.episodes, "episodes of the final evaluation", .atLeast(1)),
            .init("periodic_episodes", \.periodicEpisodes, "episodes of each evaluation during training", .atLeast(1)),
            .init("sampler", \.sampler,
                  "ode: the deterministic ODE; sde: the Flow-SDE chain of rl.sde_schedule and rl.noise_level, which RL optimises; both: periodic evaluations with the ODE, the first and final ones with both"),
            .init("seed", \.seed, "first reset seed of the fixed evaluation episodes (kept apart from training seeds)", .atLeast(0)),
            .init("num_envs", \.numEnvs,
                  "environments stepped together while evaluating, in batches of this many episodes: the ODE sampler's results do not depend on it (the SDE's step noise does), memory does (a MetaWorld environment holds tens of MB; a LIBERO one about 250 MB, so LIBERO is evaluated at most as many at a time as fit into half the memory)",
                  .atLeast(1)),
        ]}

        /// Which sampler evaluations use.
        public enum Sampler: String, ConfigEnum { case ode, sde, both }
    }
}
