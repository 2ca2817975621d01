import FlowConfig
import ArgumentParser

/// `flowtune config`: the effective config of a file and overrides, without running anything.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the effective config: as YAML with every knob's meaning, or with --show each value's source.",
        discussion: """
            The config a run would use, from FlowTune's defaults, then --config, then the --set overrides \
            in order. Errors are the ones a run would report.

            Examples:
              flowtune config > my-config.yaml                        # every knob with its meaning and default
              flowtune config --show --config configs/push-fpo.yaml --set rl.iterations=50
            """)

    @OptionGroup var options: ConfigOptions

    @Flag(help: "One line per knob: its dotted path, effective value and source (default, file or --set).")
    var show = false

    func run() throws {
        if show {
            for line in ConfigProvenance.table(try ConfigProvenance.rows(of: FlowTuneConfig.self, file: options.configFile, overrides: options.overrides)) { print(line) }
        } else {
            print(try options.load().yaml(), terminator: "")
        }
    }
}
