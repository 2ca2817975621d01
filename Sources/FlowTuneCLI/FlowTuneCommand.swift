import ArgumentParser

/// The `flowtune` command tree.
public struct FlowTuneCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "flowtune",
        abstract: "Online RL fine-tuning of flow-matching robot policies, on CPU.",
        subcommands: [DemoCommand.self, CollectCommand.self, SFTCommand.self, TrainCommand.self, EvalCommand.self,
                      ReportCommand.self, BenchCommand.self, EnvsCommand.self, SweepCommand.self, AblateCommand.self])

    public init() {}
}
