import ArgumentParser
import FlowEnvs
import FlowPolicy
import FlowRL
import FlowTensor
import FlowTuneCLI
import Foundation

/// `flowtune bench rollout`: whole RL iterations on a Python simulator against the plain Python loop.
struct BenchRolloutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Env steps/s of whole RL iterations on a Python simulator vs the plain Python loop.",
        discussion: """
            For each worker count P: first P plain Python processes step the environments with random \
            actions and nothing between the steps (python -m flowtune_bridge bench --processes P, as in \
            `flowtune bench bridge`), then RL trains the policy for --iterations whole iterations \
            (rollout and update, no evaluation) with P bridge workers, the rollout pipeline and the \
            run's worker placement (run.threads, run.update_on_worker_cores); the two alternate \
            --repetitions times (the training continues), and the table shows the median rates and \
            the median of the back-to-back ratios; the last line is that ratio at the largest worker \
            count. The RL settings come \
            from --config and --set (rl.*, policy.*, run.threads); the policy from --policy, else a \
            freshly initialised one of policy.*. Needs the simulator's Python packages.

            Examples:
              flowtune bench rollout
              flowtune bench rollout --env metaworld/MT10 --num-envs 20 --policy runs/sft-mt10/sft.safetensors
              flowtune bench rollout --env metaworld/reach-v3 --num-envs 4 --iterations 1 --set rl.minibatch_size=16
            """)

    @OptionGroup var target: BridgeBenchOptions

    @Option(help: "A policy checkpoint (sft.safetensors or an RL checkpoint); default: a fresh policy of policy.*.")
    var policy: String?

    @Option(help: "Whole RL iterations timed per worker count.")
    var iterations: Int = 2

    @Option(help: "Steps per environment of the plain loop's measurement.")
    var plainSteps: Int = 200

    @Option(help: "Alternating (plain loop, RL iterations) measurements per worker count; rows report medians.")
    var repetitions: Int = 3

    @OptionGroup var settings: ConfigOptions

    func validate() throws {
        guard iterations >= 1, plainSteps >= 1, repetitions >= 1 else {
            throw ValidationError("--iterations, --plain-steps and --repetitions must be ≥ 1")
        }
    }

    func run() throws {
        let env = target.env, numEnvs = target.numEnvs
        let config = try settings.load(extra: [
            "env.id=\(env)", "env.num_envs=\(numEnvs)", "rl.iterations=\(iterations)",
        ])
        ComputeSettings.threads = config.run.threads
        let makePolicy: () throws -> FlowPolicy
        if let policy {
            makePolicy = { try FlowPolicy.load(policy) }
        } else {
            let probe = try EnvironmentRegistry.make(id: env, numEnvs: 1, bridge: .init(workers: 1))
            let spec = probe.spec
            probe.close()
            let policyConfig = config.policyConfig(observationDim: spec.observationDim, actionDim: spec.actionDim, tasks: spec.tasks)
            makePolicy = {
                var rng = RandomGenerator(seed: UInt64(config.run.seed))
                return FlowPolicy(config: policyConfig, rng: &rng)
            }
        }
        var bench = RolloutBenchmark(config: config, makePolicy: makePolicy)
        bench.plainSteps = plainSteps
        bench.repetitions = repetitions
        let counts = target.workerCounts
        print("\(env): \(numEnvs) environments, \(config.rl.algo.rawValue), \(iterations) RL iteration\(iterations == 1 ? "" : "s") per worker count, policy \(policy ?? "freshly initialised"), \(ProcessInfo.processInfo.activeProcessorCount) cores, run.threads \(config.run.threads)")
        let rows = try bench.run(workerCounts: counts) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        print(pad("", 30) + pad("plain loop steps/s", 20) + pad("RL iteration steps/s", 22) + "of the plain loop")
        for r in rows {
            print(pad("\(r.workers) worker\(r.workers == 1 ? "" : "s") / process\(r.workers == 1 ? "" : "es")", 30)
                  + pad(format(r.plainStepsPerSecond, 0), 20) + pad(format(r.iterationStepsPerSecond, 0), 22)
                  + format(100 * r.fraction, 1) + "%")
        }
        print(RolloutBenchmark.summary(rows))
    }
}
