import ArgumentParser
import FlowTuneBench
import FlowTuneCLI

/// `flowtune`: the workflow commands of FlowTuneCLI and the benchmarks of FlowTuneBench.
struct FlowTuneCommand: ParsableCommand {
    static let configuration = CommandTree.configuration(bench: [BenchCommand.self])
}

FlowTuneCommand.main()
