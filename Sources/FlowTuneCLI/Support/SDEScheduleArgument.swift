import ArgumentParser
import FlowPolicy

/// `--sde-schedule one|all` on the command line (the raw values of the config's `rl.sde_schedule`).
extension SDESchedule: ExpressibleByArgument {}
