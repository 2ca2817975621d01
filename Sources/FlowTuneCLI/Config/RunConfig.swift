import FlowConfig
extension FlowTuneConfig {
    /// The `run:` section: where a run writes, how it is seeded, how often it checkpoints and evaluates.
    ///
    /// ```yaml
    /// run:
    ///   name: push-fpo        # runs/push-fpo/
    ///   seed: 3
    ///   checkpoint_interval: 5
    /// ```
    public struct Run: ConfigSection {
        public var name: String? = nil
        public var seed = 0
        public var outputDir = "runs"
        public var checkpointInterval = 10
        public var latestCheckpointSeconds: Double? = 10
        public var evalInterval = 10
        public var keepCheckpoints = 3
        public var tensorboard = true
        public var progressIntervalSeconds = 10.0
        public var threads = 2
        public var bridgeWorkers: Int? = nil
        public var updateOnWorkerCores = true

        public init() {}

        public static var fields: [ConfigField<Self>] {[
            .init("name", \.name, "run directory name under output_dir; null = <env>-<algo>-seed<seed>"),
            .init("seed", \.seed, "master seed of every random stream (policy init, noise, env resets)", .atLeast(0)),
            .init("output_dir", \.outputDir, "directory that holds the run directories"),
            .init("checkpoint_interval", \.checkpointInterval, "iterations between checkpoints (plus latest/best)", .atLeast(1)),
            .init("latest_checkpoint_seconds", \.latestCheckpointSeconds,
                  "also refresh checkpoints/latest after any iteration that ends this many seconds after the last write, so a kill loses at most this much training (mpirun sends SIGKILL one second after Ctrl-C, docs/distributed.md); null = only every checkpoint_interval",
                  .greaterThan(0)),
            .init("eval_interval", \.evalInterval, "iterations between evaluations during training", .atLeast(1)),
            .init("keep_checkpoints", \.keepCheckpoints, "periodic checkpoints kept besides latest and best", .atLeast(0)),
            .init("tensorboard", \.tensorboard, "also write TensorBoard event files"),
            .init("progress_interval_seconds", \.progressIntervalSeconds,
                  "seconds between plain progress lines when stdout is not a terminal", .greaterThan(0)),
            .init("threads", \.threads, "compute threads (GEMM and fused kernels)", .within(1...256)),
            .init("bridge_workers", \.bridgeWorkers,
                  "Python simulator worker processes; null = FLOWTUNE_BRIDGE_WORKERS, else one per core (results do not depend on it)",
                  .within(1...1024)),
            .init("update_on_worker_cores", \.updateOnWorkerCores,
                  "the update uses run.threads threads while the bridge workers wait between rollouts; false keeps it to the rollout's threads (the cores the simulating workers leave)"),
        ]}

        public func validate(path: String) throws(ConfigError) {
            if let name {
                let bad = name.isEmpty || name == "." || name == ".." || name.contains("/") || name.contains("\0")
                if bad {
                    throw ConfigError.outOfRange(path: Self.join(path, "name"), value: YAMLText.quoted(name),
                                                 allowed: "a non-empty directory name without '/' (or null)")
                }
            }
            if outputDir.isEmpty {
                throw ConfigError.outOfRange(path: Self.join(path, "output_dir"), value: "\"\"",
                                             allowed: "a non-empty directory path")
            }
        }
    }
}
