import ArgumentParser

/// The `flowtune` command tree. The executable (`Sources/flowtune`) assembles it, adding the `bench`
/// commands of the FlowTuneBench target, so the workflow commands here never depend on benchmarks.
public enum CommandTree {
    /// The root command's configuration, with `bench` (if given) listed between `report` and `envs`.
    public static func configuration(bench: [any ParsableCommand.Type]) -> CommandConfiguration {
        CommandConfiguration(
            commandName: "flowtune",
            abstract: "Online RL fine-tuning of flow-matching robot policies, on CPU.",
            subcommands: [DemoCommand.self, CollectCommand.self, SFTCommand.self, TrainCommand.self, EvalCommand.self,
                          ReportCommand.self] + bench + [EnvsCommand.self, ConfigCommand.self, SweepCommand.self, AblateCommand.self])
    }
}
