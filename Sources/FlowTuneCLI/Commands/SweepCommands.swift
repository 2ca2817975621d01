import ArgumentParser
import FlowPolicy
import FlowRL
import Foundation

/// `flowtune sweep`: several RL methods × seeds from one starting policy, one table.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Train several RL methods over several seeds from one starting policy and tabulate the results.",
        discussion: """
            Every method × seed is a complete run directory inside runs/<name>/ (config, metrics, \
            checkpoints, log); the sweep writes table.md (final success mean ± std over seeds, per-seed \
            values, area under the success curve, env steps, minutes) and results.json beside them. \
            Methods: \(SweepMethods.known.keys.sorted().joined(separator: ", ")). \
            Without --init, demonstrations are collected and an SFT policy is fitted once, first.

            Examples:
              flowtune sweep --set env.id=push --methods flow-sde,flow-sde-all,flow-noise,fpo --seeds 0,1,2
              flowtune sweep --init runs/sft-push/sft.safetensors --set env.id=push --methods fpo,fpo++ --seeds 0
            """)

    @OptionGroup var options: RunOptions

    @Option(help: "Comma-separated methods.")
    var methods: String = "flow-sde,flow-sde-all,flow-noise,fpo,fpo++,fpo-lyu"

    @Option(help: "Comma-separated RL seeds (run.seed of each run).")
    var seeds: String = "0,1,2"

    @Option(name: .customLong("init"), help: "Starting policy checkpoint (default: collect demonstrations and fit one).")
    var initialPolicy: String?

    func run() throws {
        let variants = try methods.split(separator: ",").map { try SweepMethods.variant(String($0)) }
        try runSweep(kind: "sweep", variants: variants, seeds: try parseSeeds(seeds), options: options, initialPolicy: initialPolicy)
    }
}

/// `flowtune ablate`: FPO with all of Lyu et al.'s components and with each switched off.
struct AblateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ablate",
        abstract: "Ablate Lyu et al.'s FPO components: all on, each one off, all off — same seeds, one table.",
        discussion: """
            Variants (rl.algo=fpo-lyu): all; no-credit-assignment; no-latent-exploration; no-q-ensemble; \
            none (all three off: plain FPO with the same settings). Writes table.md and results.json \
            into runs/<name>/ like `flowtune sweep`.

            Examples:
              flowtune ablate --set env.id=pick-place --seeds 0,1,2
              flowtune ablate --init runs/sft-multitask/sft.safetensors --set env.id=multitask
            """)

    @OptionGroup var options: RunOptions

    @Option(help: "Comma-separated RL seeds (run.seed of each run).")
    var seeds: String = "0,1,2"

    @Option(name: .customLong("init"), help: "Starting policy checkpoint (default: collect demonstrations and fit one).")
    var initialPolicy: String?

    static let variants: [Sweep.Variant] = {
        let off = ["credit_assignment": "no-credit-assignment", "latent_exploration": "no-latent-exploration", "q_ensemble": "no-q-ensemble"]
        var v = [Sweep.Variant(name: "all", overrides: ["rl.algo=fpo-lyu"])]
        for key in ["credit_assignment", "latent_exploration", "q_ensemble"] {
            v.append(Sweep.Variant(name: off[key]!, overrides: ["rl.algo=fpo-lyu", "rl.\(key)=false"]))
        }
        v.append(Sweep.Variant(name: "none", overrides: ["rl.algo=fpo-lyu", "rl.credit_assignment=false",
                                                         "rl.latent_exploration=false", "rl.q_ensemble=false"]))
        return v
    }()

    func run() throws {
        try runSweep(kind: "ablate", variants: Self.variants, seeds: try parseSeeds(seeds), options: options, initialPolicy: initialPolicy)
    }
}

/// The method names `flowtune sweep` accepts and the overrides each stands for.
enum SweepMethods {
    static let known: [String: [String]] = [
        "flow-sde": ["rl.algo=flow-sde", "rl.sde_schedule=one"],
        "flow-sde-all": ["rl.algo=flow-sde", "rl.sde_schedule=all"],
        "flow-noise": ["rl.algo=flow-noise"],
        "grpo": ["rl.algo=grpo"],
        "fpo": ["rl.algo=fpo"],
        "fpo++": ["rl.algo=fpo++"],
        "fpo-lyu": ["rl.algo=fpo-lyu"],
    ]

    static func variant(_ name: String) throws -> Sweep.Variant {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard let overrides = known[trimmed] else {
            throw ValidationError("unknown method '\(trimmed)'; use one of \(known.keys.sorted().joined(separator: ", "))")
        }
        return Sweep.Variant(name: trimmed, overrides: overrides)
    }
}

func parseSeeds(_ text: String) throws -> [Int] {
    let seeds = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !seeds.isEmpty, seeds.allSatisfy({ $0 != nil && $0! >= 0 }) else {
        throw ValidationError("--seeds takes comma-separated non-negative integers, e.g. 0,1,2 (got '\(text)')")
    }
    return seeds.map { $0! }
}

/// Opens the sweep directory, gets the starting policy (loaded, or collected + fitted there),
/// evaluates it once, runs every variant × seed and prints the table.
func runSweep(kind: String, variants: [Sweep.Variant], seeds: [Int], options: RunOptions, initialPolicy: String?) throws {
    guard !variants.isEmpty, !seeds.isEmpty else { throw SweepError.noVariants }
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    var opts = options
    let probe = try opts.load()
    opts.overrides = ["run.name=\(kind)-\(probe.env.id)-\(formatter.string(from: Date()))"] + options.overrides
    let config = try opts.load()
    let (directory, log) = try openRun(config, overwrite: options.overwrite, command: commandLineText)
    let pipeline = Pipeline(config: config, run: directory, log: log)
    let initial = try pipeline.startingPolicy(from: initialPolicy)
    let before = try pipeline.evaluate(initial, label: "starting policy")
    let sweep = Sweep(configFile: options.configFile, baseOverrides: options.overrides, variants: variants, seeds: seeds,
                      directory: directory, log: log)
    log.info("\(kind): \(variants.count) variants × \(seeds.count) seeds on \(config.env.id)")
    let outcomes = try sweep.run(from: initial, initialEvaluation: before)
    print("")
    print(Sweep.table(outcomes, variants: variants.map(\.name), initial: before))
    print("table: \(directory.file("table.md"))")
}
