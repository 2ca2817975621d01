import FlowConfig
import FlowEnvs

extension ObservationMode: ConfigEnum {}
extension FlowTuneConfig {
    /// The `env:` section: which simulator, how many copies in parallel.
    ///
    /// ```yaml
    /// env:
    ///   id: pick-place
    ///   num_envs: 64
    ///   max_episode_steps: null     # the task's own time limit
    /// ```
    ///
    /// The id is checked by the environment registry when the run starts (it knows the bridge
    /// environments too), not here.
    public struct Env: ConfigSection {
        public var id = "reach-obstacle"
        public var numEnvs = 64
        public var maxEpisodeSteps: Int? = nil
        public var shapedReward = false
        public var observation = ObservationMode.state
        public var imageSize = 64

        public init() {}

        public static var fields: [ConfigField<Self>] {[
            .init("id", \.id, "environment id (flowtune envs lists them)"),
            .init("num_envs", \.numEnvs, "environments stepped in parallel (one batched policy call for all)", .within(1...65_536)),
            .init("max_episode_steps", \.maxEpisodeSteps, "must stay null: evaluation keeps each task's own time limit (rl.max_episode_steps shortens the training episodes)", .atLeast(1)),
            .init("shaped_reward", \.shapedReward, "add progress toward the goal (a potential's change; MetaWorld: its shaped reward ÷ 10; ManiSkill: its normalised dense reward; LIBERO: FlowTune's staged reach-grasp-place potential, docs/simulators.md) to the success reward of 1"),
            .init("observation", \.observation,
                  "what the policy sees: the state vector, a camera's RGB frames (pixels: the built-in tasks' top-down view, MetaWorld's corner camera), or both (pixels+state); not for gym/ ids or pusht. A trained policy keeps its own: evaluation and RL from a checkpoint use what it was trained on"),
            .init("image_size", \.imageSize, "pixel observations: frames are image_size × image_size RGB", .within(16...128)),
        ]}
    }
}
