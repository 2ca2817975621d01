import ArgumentParser

/// The `flowtune` command tree.
public struct FlowTuneCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "flowtune",
        abstract: "Online RL fine-tuning of flow-matching robot policies, on CPU.",
        subcommands: [BenchCommand.self])

    public init() {}
}
