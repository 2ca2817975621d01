import ArgumentParser
import FlowDistributed
import FlowTensor
import Foundation

/// The config file and `--set` overrides of every command that reads a config (the benchmarks too).
public struct ConfigOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "A YAML config file (see configs/); defaults apply to what it leaves out.")
    public var configFile: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config value, e.g. --set rl.actor_lr=1e-4 (repeatable).",
                                                           valueName: "key.path=value"))
    public var overrides: [String] = []

    public init() {}

    /// The effective config: the file, then the `--set`s, then `extra`.
    public func load(extra: [String] = []) throws -> FlowTuneConfig {
        try FlowTuneConfig.load(file: configFile, overrides: overrides + extra)
    }
}

/// Options shared by the commands that create a run: config file, overrides, run directory.
struct RunOptions: ParsableArguments {
    @OptionGroup var config: ConfigOptions
    var configFile: String? { config.configFile }
    var overrides: [String] {
        get { config.overrides }
        set { config.overrides = newValue }
    }

    @Option(help: "Run directory name inside run.output_dir (default: from env, algorithm and seed).")
    var name: String?

    @Flag(help: "Replace an existing run directory of the same name.")
    var overwrite = false

    /// The effective config: file, then `--set`s, then the command's own overrides.
    func load(extra: [String] = []) throws -> FlowTuneConfig {
        try config.load(extra: extra + (name.map { ["run.name=\($0)"] } ?? []))
    }
}

/// Creates the run directory, saves the effective config and opens the log (echoed to stdout).
func openRun(_ config: FlowTuneConfig, overwrite: Bool, command: String) throws -> (RunDirectory, RunLogger) {
    ComputeSettings.threads = config.threadsPerProcess
    let run = try RunDirectory.create(for: config, overwrite: overwrite)
    try run.writeConfig(config, command: command)
    let log = try run.makeLogger(echo: { line in print(line) })
    log.info("run directory \(run.path)")
    return (run, log)
}

/// The run directory and log of this rank of a data-parallel job (docs/distributed.md): rank 0's are
/// the run's (`openRun`); another rank writes into a scratch directory of its own (returned as
/// `scratch`: the caller removes it at the end) and logs nothing to the terminal.
func openRun(_ config: FlowTuneConfig, overwrite: Bool, command: String, world: any Communicator)
    throws -> (run: RunDirectory, log: RunLogger, scratch: RunDirectory?) {
    guard !world.isRoot else {
        let (run, log) = try openRun(config, overwrite: overwrite, command: command)
        return (run, log, nil)
    }
    ComputeSettings.threads = config.threadsPerProcess
    let scratch = try RunDirectory.scratch(rank: world.rank)
    return (scratch, try scratch.makeLogger(), scratch)
}

/// Runs a command's `body` as this process's rank: with one process, as it is; under `mpirun`, an
/// error on this rank ends the whole job (`MPI_Abort`), since the other ranks would wait for it in
/// their next collective forever.
func runAsRank(_ body: (any Communicator) throws -> Void) throws {
    let world = try Communicators.world()
    guard world.size > 1 else { return try body(world) }
    do {
        try body(world)
    } catch let code as ExitCode {
        if code != .success { world.abort(code: code.rawValue) }
    } catch {
        let command = CommandLine.arguments.dropFirst().first ?? ""
        FileHandle.standardError.write(Data("flowtune \(command) (rank \(world.rank) of \(world.size)): \(error)\n".utf8))
        world.abort(code: 1)
    }
}

/// The command line as typed, for the config header.
var commandLineText: String { CommandLine.arguments.joined(separator: " ") }
