import ArgumentParser
import FlowEnvs
import FlowDistributed
import FlowPolicy
import FlowRL
import FlowTensor
import Foundation

/// `flowtune collect`: scripted-expert demonstrations into a run directory.
struct CollectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Collect successful scripted-expert demonstrations of a built-in task.",
        discussion: """
            Writes runs/<name>/demos.safetensors (loadable with Python's safetensors.numpy).

            Examples:
              flowtune collect --set env.id=push --set demos.count=50
              flowtune collect --config configs/pick-place-flow-sde.yaml --name pick-demos
            """)

    @OptionGroup var options: RunOptions

    func run() throws {
        let config = try options.load()
        let (run, log) = try openRun(config, overwrite: options.overwrite, command: commandLineText)
        _ = try Pipeline(config: config, run: run, log: log).demonstrations()
    }
}

/// `flowtune sft`: supervised flow matching on demonstrations.
struct SFTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Fit a flow policy to demonstrations (collecting them first unless demos.path is set).",
        discussion: """
            Writes runs/<name>/sft.safetensors and evaluates it on eval.episodes fixed episodes.

            Examples:
              flowtune sft --set env.id=reach-obstacle --set demos.count=10
              flowtune sft --set demos.path=runs/pick-demos/demos.safetensors --set env.id=pick-place
            """)

    @OptionGroup var options: RunOptions

    @Flag(help: "Skip the evaluation after training.")
    var noEval = false

    func run() throws {
        try runAsRank { world in
            let config = try options.load()
            let (run, log, scratch) = try openRun(config, overwrite: options.overwrite, command: commandLineText, world: world)
            defer { scratch?.remove() }
            let pipeline = Pipeline(config: config, run: run, log: log, communicator: world)
            try sft(pipeline)
        }
    }

    private func sft(_ pipeline: Pipeline) throws {
        let policy = try pipeline.supervisedFineTuning(try pipeline.demonstrations())
        if !noEval {
            _ = try pipeline.evaluate(policy, label: "SFT policy")
            _ = try pipeline.evaluateSDEAlongside(policy, label: "SFT policy")
        }
    }
}

/// `flowtune train`: online RL from an SFT checkpoint, or resume a run.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a flow policy with online RL (PPO with Flow-SDE or Flow-Noise, GRPO, FPO, FPO++ or FPO with Lyu et al.'s components).",
        discussion: """
            Starts from --init (a policy or training checkpoint), or runs collect + SFT first when no \
            --init is given. Writes metrics.jsonl, TensorBoard events, checkpoints (latest, best and \
            every run.checkpoint_interval iterations) and log.txt. Ctrl-C writes a checkpoint and exits; \
            --resume continues a run bit-identically.

            Examples:
              flowtune train --algo flow-sde --init runs/sft-run/sft.safetensors --set env.id=reach-obstacle
              flowtune train --algo flow-noise --config configs/reach-obstacle-flow-noise.yaml
              flowtune train --algo fpo-lyu --init runs/sft-run/sft.safetensors --set env.id=pick-place
              flowtune train --resume runs/reach-obstacle-flow-sde-seed0
            """)

    @OptionGroup var options: RunOptions

    @Option(help: "RL algorithm: flow-sde, flow-noise, grpo, fpo, fpo++ or fpo-lyu (sets rl.algo).")
    var algo: String?

    @Option(name: .customLong("init"), help: "Initial policy: a policy checkpoint (sft.safetensors) or a training checkpoint.")
    var initialPolicy: String?

    @Option(help: "Continue the run in this directory from its latest checkpoint.")
    var resume: String?

    func validate() throws {
        if resume != nil && (initialPolicy != nil || algo != nil || options.configFile != nil || !options.overrides.isEmpty) {
            throw ValidationError("--resume continues a run with its saved config; do not combine it with --init, --algo, --config or --set")
        }
        if algo != nil && options.overrides.contains(where: { $0.hasPrefix("rl.algo=") }) {
            throw ValidationError("--algo and --set rl.algo=… both choose the method; give only one of them")
        }
    }

    func run() throws {
        try runAsRank(train)
    }

    /// Trains in this process, one rank of `world` (docs/distributed.md): rank 0 writes the run
    /// directory; the other ranks keep their logs and checkpoints in a scratch directory that is
    /// removed at the end.
    private func train(_ world: any Communicator) throws {
        if let resume {
            let scratch = world.isRoot ? nil : try RunDirectory.scratch(rank: world.rank)
            defer { scratch?.remove() }
            let saved = try RunDirectory.open(resume)
            let config = try saved.loadConfig()
            ComputeSettings.threads = config.threadsPerProcess
            let run = scratch ?? saved
            let log = world.isRoot ? try run.makeLogger(echo: { print($0) }) : try run.makeLogger()
            guard FileManager.default.fileExists(atPath: saved.latestCheckpointPath) else {
                throw PipelineError.missingInput("\(saved.path) has no checkpoints/latest.safetensors to resume from; start a new run instead.")
            }
            let pipeline = Pipeline(config: config, run: run, log: log, communicator: world)
            let trainer = try RLTrainer.resume(from: saved.latestCheckpointPath, demonstrations: try pipeline.anchorDemonstrations(),
                                               bridge: config.bridgeConfiguration, communicator: world)
            if world.isRoot { try MetricsLog.truncate(saved.metricsPath, afterIteration: trainer.iteration) }
            log.info("resuming from iteration \(trainer.iteration)")
            _ = try pipeline.reinforcementLearning(from: nil, resumed: trainer)
            return
        }
        let config = try options.load(extra: algo.map { ["rl.algo=\($0)"] } ?? [])
        let (run, log, scratch) = try openRun(config, overwrite: options.overwrite, command: commandLineText, world: world)
        defer { scratch?.remove() }
        if world.size > 1 { log.info("data-parallel over \(world.size) ranks: \(config.env.numEnvs) environments each, \(config.env.numEnvs * world.size) in all") }
        let pipeline = Pipeline(config: config, run: run, log: log, communicator: world)
        let initial = try pipeline.startingPolicy(from: initialPolicy)
        let before = try pipeline.evaluate(initial, label: "initial policy")
        _ = try pipeline.reinforcementLearning(from: initial, initialEvaluation: before)
    }
}

/// `flowtune eval`: success rate of a checkpoint on fixed episodes. Public so tests can read the
/// parsed options (`samplingMode`).
public struct EvalCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a policy checkpoint on fixed, seeded episodes (success with a 95% interval).",
        discussion: """
            Examples:
              flowtune eval runs/demo-20261121-120000/checkpoints/best.safetensors --env reach-obstacle
              flowtune eval sft.safetensors --env multitask --episodes 500 --stochastic
              flowtune eval sft.safetensors --env multitask --instructions configs/multitask-paraphrases.txt
              flowtune eval runs/lb/checkpoints/latest.safetensors --env libero/object --stochastic --sde-schedule all

            --stochastic evaluates the Flow-SDE chain that RL trains (--sde-schedule and
            --noise-level as the run's rl.sde_schedule and rl.noise_level) instead of the
            deterministic ODE; its results depend on --num-envs (the step noise is drawn per batch).
            """)

    @Argument(help: "A policy or training checkpoint.")
    var checkpoint: String

    @Option(help: "Built-in environment id (see `flowtune envs`).")
    var env: String

    @Option(help: "Episodes to evaluate.")
    var episodes: Int = 200

    @Option(help: "Seed of the first evaluation episode.")
    var seed: UInt64 = 1_000_000

    @Flag(help: "Sample with Flow-SDE (one stochastic step, noise level 0.5, unless set below) instead of the deterministic ODE.")
    var stochastic = false

    @Option(name: .customLong("sde-schedule"), help: "With --stochastic: noise on one random step of each chain (one) or on every step (all), as rl.sde_schedule.")
    var sdeSchedule: SDESchedule?

    @Option(name: .customLong("noise-level"), help: "With --stochastic: the Flow-SDE noise level a_n, as rl.noise_level.")
    var noiseLevel: Float?

    @Option(name: .customLong("num-envs"), help: "Environments stepped together (ODE results do not depend on it; lower it to save memory with MetaWorld).")
    var numEnvs: Int = Evaluator.defaultBatchSize

    @Option(help: "For a policy conditioned on instructions: a text file with another sentence for each task, one per line in task order ('#' lines are comments), e.g. configs/multitask-paraphrases.txt.")
    var instructions: String?

    public init() {}

    /// The sampler the options ask for.
    public var samplingMode: SamplingMode {
        stochastic ? .flowSDE(schedule: sdeSchedule ?? .oneStep, noiseLevel: noiseLevel ?? 0.5) : .ode
    }

    public func validate() throws {
        guard episodes >= 1 else { throw ValidationError("--episodes must be ≥ 1") }
        guard numEnvs >= 1 else { throw ValidationError("--num-envs must be ≥ 1") }
        if !stochastic && (sdeSchedule != nil || noiseLevel != nil) {
            throw ValidationError("--sde-schedule and --noise-level shape the Flow-SDE sampler; add --stochastic to use it")
        }
        if let noiseLevel, !(noiseLevel > 0 && noiseLevel.isFinite) {
            throw ValidationError("--noise-level must be a positive number, got \(noiseLevel)")
        }
    }

    public func run() throws {
        let policy = try FlowPolicy.load(checkpoint)
        if let instructions {
            guard let text = try? String(contentsOfFile: instructions, encoding: .utf8) else {
                throw ValidationError("cannot read the instructions file \(instructions)")
            }
            let sentences = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            let unknown = try policy.instruct(with: sentences)
            print("instructions from \(instructions): \(sentences.count) sentences, \(unknown) words the policy never saw")
        }
        let report = try Evaluator(envID: env, episodes: episodes, seed: seed, mode: samplingMode, batchSize: numEnvs).evaluate(policy)
        print("\(env): \(report.summary)")
        for line in report.perTaskTable { print(line) }
    }
}

/// `flowtune report`: one HTML file comparing run directories.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report (SVG plots, configs) of one or more runs.",
        discussion: """
            Examples:
              flowtune report runs/demo-20261121-120000
              flowtune report runs/a runs/b --output compare.html
            """)

    @Argument(help: "Run directories.")
    var runs: [String]

    @Option(help: "Output HTML file (default: report.html in the first run directory).")
    var output: String?

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run directory") }
    }

    func run() throws {
        let path = try ReportWriter().write(runDirectories: runs, to: output ?? ReportWriter.defaultOutputPath(for: runs))
        print("report: \(path)")
    }
}

/// `flowtune envs`: the environments and their specs.
struct EnvsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envs",
        abstract: "List the available environments with their observation/action specs and tasks.",
        discussion: """
            Examples:
              flowtune envs
            """)

    func run() throws {
        for id in BuiltinEnvironments.ids {
            let env = try BuiltinEnvironments.make(id: id, numEnvs: 1)
            let s = env.spec
            print("\(id)  (built-in)")
            print("  observation: \(s.observationDim) values: \(s.observation.names.joined(separator: ", "))")
            print("  action: \(s.actionDim) values in [\(s.action.low.map { "\($0)" }.joined(separator: ", "))]…[\(s.action.high.map { "\($0)" }.joined(separator: ", "))]: \(s.action.names.joined(separator: ", "))")
            print("  time limit: \(s.maxEpisodeSteps) steps")
            if s.numTasks > 1 {
                for (i, t) in s.tasks.enumerated() { print("  task \(i) \(t.name): \(t.instruction)") }
            }
        }
        print("")
        printBridgeEnvironments()
    }

    /// The Python simulators this machine can host through the worker bridge, or what to install.
    func printBridgeEnvironments() {
        let python = PythonRuntime()
        print("Python simulators through the worker bridge (python: \(python.executable), package: \(python.packagePath ?? "installed flowtune_bridge")):")
        let catalog: BridgeCatalog
        do { catalog = try python.catalog() } catch {
            print("  unavailable: \(error)")
            print("  install the worker package with `pip install ./python` (and MetaWorld with `pip install 'metaworld==3.1.1' packaging`)")
            return
        }
        // ManiSkill and LIBERO live in interpreters of their own (scripts/install-maniskill,
        // scripts/install-libero): ask those about them.
        var ownInterpreter: [String: (python: PythonRuntime, suite: BridgeCatalog.Suite)] = [:]
        for separate in PythonRuntime.separateInterpreters {
            let name = String(separate.idPrefix.dropLast())
            let own = python.forEnvironment(separate.idPrefix)
            if own != python, let suite = (try? own.catalog())?.suites.first(where: { $0.name == name }) {
                ownInterpreter[name] = (own, suite)
            }
        }
        for listed in catalog.suites {
            let suite = ownInterpreter[listed.name]?.suite ?? listed
            guard suite.available else {
                print("  \(suite.name): not installed; \(suite.install ?? "")")
                continue
            }
            print("  \(suite.name):")
            var line = "   "
            for id in suite.ids {
                if line.count + id.count > 100 { print(line); line = "   " }
                line += " " + id
            }
            if line.count > 3 { print(line) }
            if suite.name == "metaworld" {
                print("    observation: 39 values (MT1), 49 (MT10), 89 (MT50: + one-hot task); action: 4 values in [-1, 1]: dx, dy, dz, grip")
                print("    time limit: 500 steps; scripted experts for every task (flowtune collect)")
            }
            if suite.name == "maniskill" {
                print("    python: \(ownInterpreter["maniskill"]?.python.executable ?? python.executable); state observations; action: 7 values in [-1, 1] (end-effector delta pose, gripper)")
                print("    time limits: 100 (PickCube, PushCube), 150 (StackCube), 300 (PegInsertionSide) steps; motion-planning experts (flowtune collect)")
            }
            if suite.name == "libero" {
                print("    python: \(ownInterpreter["libero"]?.python.executable ?? python.executable); observation: 137 state values for libero/object, 109 for libero/spatial (+ one-hot task for the ten-task ids); action: 7 values in [-1, 1] (end-effector delta pose, gripper)")
                print("    time limits: 280 (object), 220 (spatial) steps; sparse success reward; scripted pick-and-place experts (flowtune collect)")
            }
        }
    }
}
