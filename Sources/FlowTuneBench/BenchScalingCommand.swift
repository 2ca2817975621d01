import ArgumentParser
import FlowDistributed
import FlowEnvs
import FlowPolicy
import FlowTensor
import FlowTuneCLI
import Foundation

/// `flowtune bench scaling`: env steps/s of whole data-parallel RL iterations with 1, 2, … ranks.
struct BenchScalingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaling",
        abstract: "Env steps/s of whole RL iterations over MPI with 1, 2 and 4 ranks (weak scaling: each rank keeps its environments).",
        discussion: """
            For each rank count N, runs `mpirun -np N flowtune train` for --iterations iterations of \
            --num-envs environments per rank (one compute thread per rank, no evaluation) and reads \
            the iterations' rollout_seconds, update_seconds and communication_seconds from \
            metrics.jsonl. The first iteration is a warm-up and is left out; the rows show medians: \
            env steps/s of whole iterations (all ranks' steps over the iteration's seconds), the \
            speed-up over one rank, and the time the update spent in collectives (the gradient sums, \
            waiting for the slowest rank included) against the update's time. Rank counts above the \
            core count oversubscribe the machine, so they measure overhead, not speed-up. Needs a \
            flowtune built with MPI and mpirun (docs/distributed.md).

            Examples:
              flowtune bench scaling
              flowtune bench scaling --env metaworld/reach-v3 --num-envs 8 --ranks 1,2
              flowtune bench scaling --env reach-obstacle --num-envs 64 --ranks 1,2,4 --iterations 6
            """)

    @Option(help: "Environment id (built-in or a bridge id such as metaworld/reach-v3).")
    var env: String = "reach-obstacle"

    @Option(help: "Environments per rank.")
    var numEnvs: Int = 32

    @Option(help: "Rank counts to measure, comma-separated.")
    var ranks: String = "1,2,4"

    @Option(help: "RL iterations per rank count (the first is a warm-up).")
    var iterations: Int = 5

    @Option(help: "A policy checkpoint; default: a freshly initialised policy of the default architecture.")
    var policy: String?

    /// --config and --set, passed on to the training runs (rl.*, policy.* for the fresh policy).
    @OptionGroup var settings: ConfigOptions

    func validate() throws {
        guard numEnvs >= 1, iterations >= 2 else { throw ValidationError("--num-envs must be ≥ 1 and --iterations ≥ 2 (the first is a warm-up)") }
        guard let counts = positiveIntegers(ranks), !counts.isEmpty else { throw ValidationError("--ranks must be positive integers, e.g. 1,2,4") }
    }

    func run() throws {
        guard Communicators.mpiAvailable else { throw ValidationError(DistributedError.mpiNotBuilt.description) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let mpirun = path.split(separator: ":").map({ "\($0)/mpirun" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ValidationError("mpirun is not on the PATH; install Open MPI (Debian: apt-get install openmpi-bin)")
        }
        let directory = NSTemporaryDirectory() + "flowtune-bench-scaling-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let initial = try policy ?? freshPolicy(in: directory)
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("\(env): \(numEnvs) environments per rank, \(iterations) iterations (first left out), policy \(policy ?? "freshly initialised"), \(cores) cores")
        var rows: [(ranks: Int, stepsPerSecond: Double, communication: Double, update: Double)] = []
        for n in positiveIntegers(ranks)! {
            let name = "np\(n)"
            let arguments = ["--oversubscribe", "-np", "\(n)", me, "train", "--init", initial, "--overwrite",
                             "--set", "env.id=\(env)", "--set", "env.num_envs=\(numEnvs)", "--set", "rl.iterations=\(iterations)",
                             "--set", "run.threads=1", "--set", "eval.episodes=1", "--set", "run.eval_interval=100000",
                             "--set", "run.tensorboard=false", "--set", "run.output_dir=\(directory)", "--name", name]
                + (settings.configFile.map { ["--config", $0] } ?? []) + settings.overrides.flatMap { ["--set", $0] }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: mpirun)
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            if getuid() == 0 { (environment["OMPI_ALLOW_RUN_AS_ROOT"], environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"]) = ("1", "1") }
            process.environment = environment
            let log = "\(directory)/\(name).log"
            FileManager.default.createFile(atPath: log, contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: log)
            process.standardError = FileHandle(forWritingAtPath: log)
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw ValidationError("mpirun -np \(n) failed:\n\(text.suffix(2000))")
            }
            let records = try metricsRecords("\(directory)/\(name)/metrics.jsonl").filter { ($0["iteration"] ?? 0) >= 2 }
            func median(_ key: String) -> Double { CompareBenchmark.median(records.map { $0[key] ?? 0 }) }
            let perIteration = records.map { r -> Double in
                let steps = (r["iteration_env_steps"] ?? 0)
                return steps / max((r["rollout_seconds"] ?? 0) + (r["update_seconds"] ?? 0), 1e-9)
            }
            rows.append((n, CompareBenchmark.median(perIteration), median("communication_seconds"), median("update_seconds")))
            FileHandle.standardError.write(Data("  \(n) rank\(n == 1 ? "" : "s"): \(format(rows.last!.stepsPerSecond, 0)) env steps/s\n".utf8))
        }
        let base = rows.first { $0.ranks == 1 }?.stepsPerSecond ?? rows[0].stepsPerSecond
        print(pad("ranks", 8) + pad("env steps/s", 14) + pad("speed-up", 10) + pad("update s", 11) + pad("collectives s", 15) + "share of the update")
        for r in rows {
            print(pad("\(r.ranks)\(r.ranks > cores ? "*" : "")", 8) + pad(format(r.stepsPerSecond, 0), 14) + pad(format(r.stepsPerSecond / base, 2) + "×", 10)
                  + pad(format(r.update, 3), 11) + pad(r.ranks > 1 ? format(r.communication, 4) : "—", 15)
                  + (r.ranks > 1 ? format(100 * r.communication / max(r.update, 1e-9), 1) + "%" : "—"))
        }
        if rows.contains(where: { $0.ranks > cores }) { print("* more ranks than cores: oversubscribed") }
    }

    /// A policy of the default architecture for `env`, written into `directory`.
    func freshPolicy(in directory: String) throws -> String {
        let config = try settings.load(extra: ["env.id=\(env)"])
        let probe = try EnvironmentRegistry.make(id: env, numEnvs: 1, bridge: .init(workers: 1))
        let spec = probe.spec
        probe.close()
        var rng = RandomGenerator(seed: 0)
        let policy = FlowPolicy(config: config.policyConfig(observationDim: spec.observationDim, actionDim: spec.actionDim, tasks: spec.tasks), rng: &rng)
        let path = directory + "/policy.safetensors"
        try policy.save(to: path)
        return path
    }


    /// metrics.jsonl as numbers, with each record's own env steps (`iteration_env_steps`).
    func metricsRecords(_ path: String) throws -> [[String: Double]] {
        var previous = 0.0
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { line in
            guard var record = (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?.compactMapValues({ $0 as? Double }) else { return nil }
            let steps = record["env_steps"] ?? 0
            record["iteration_env_steps"] = steps - previous
            previous = steps
            return record
        }
    }
}
