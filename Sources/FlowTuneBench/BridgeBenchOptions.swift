import FlowTuneCLI
import ArgumentParser
import FlowEnvs

/// The options of the benchmarks that run a Python simulator through the bridge (`bench bridge`,
/// `bench rollout`): which environment, how many copies, which worker counts.
struct BridgeBenchOptions: ParsableArguments {
    @Option(help: "Bridge environment id.")
    var env: String = "metaworld/reach-v3"

    @Option(help: "Environments stepped together.")
    var numEnvs: Int = 8

    @Option(help: "Worker counts to measure, comma-separated.")
    var workers: String = "1,2"

    /// The worker counts (valid after `validate`).
    var workerCounts: [Int] { positiveIntegers(workers)! }

    func validate() throws {
        guard numEnvs >= 1 else { throw ValidationError("--num-envs must be ≥ 1") }
        guard let w = positiveIntegers(workers), w.allSatisfy({ $0 <= numEnvs }) else {
            throw ValidationError("--workers must be positive integers no larger than --num-envs, e.g. 1,2")
        }
        guard EnvironmentRegistry.isBridgeID(env) else {
            throw ValidationError("--env must be a bridge id (\(EnvironmentRegistry.bridgeIDPatterns.joined(separator: ", ")))")
        }
    }
}
