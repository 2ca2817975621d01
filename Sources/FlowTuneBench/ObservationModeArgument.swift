import ArgumentParser
import FlowEnvs

/// `--observation state|pixels|pixels+state` on the command line (the raw values of the config's
/// `env.observation`).
extension ObservationMode: ExpressibleByArgument {}
