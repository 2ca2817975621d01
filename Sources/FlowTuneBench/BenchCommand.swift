import ArgumentParser
import FlowEnvs
import FlowTensor
import FlowTuneCLI
import Foundation

/// `flowtune bench …`: performance measurements (never in unit tests: the machine is shared and noisy).
public struct BenchCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure FlowTune's speed on this machine.",
        discussion: """
            Every benchmark reports ratios measured in one run (FlowTune against a reference on the \
            same machine at the same time), because absolute times on a shared machine drift.

            Examples:
              flowtune bench kernels
              flowtune bench policy
              flowtune bench envs
              flowtune bench bridge
              flowtune bench rollout
              flowtune bench scaling
            """,
        subcommands: [BenchKernelsCommand.self, BenchPolicyCommand.self, BenchEnvsCommand.self, BenchCompareCommand.self,
                      BenchBridgeCommand.self, BenchRolloutCommand.self, BenchScalingCommand.self])
}

struct BenchKernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "SGEMM GFLOP/s against the system OpenBLAS, and fused vs unfused linear layers.",
        discussion: """
            Measures C = A·Bᵀ (the layout of a linear layer) for square sizes 64–1024 and the policy \
            shapes M ∈ {64, 256, 1024, 4096} × K = N ∈ {128, 256, 512}, on 1 and 2 threads, next to \
            the best reference SGEMM found (Debian's OpenBLAS, loaded with OPENBLAS_CORETYPE set for \
            this CPU so it does not fall back to its generic kernel). Install the reference with \
            `apt-get install libopenblas0-pthread`.

            Examples:
              flowtune bench kernels
              flowtune bench kernels --quick --threads 1
              flowtune bench kernels --fused-only
              flowtune bench kernels --shapes 1024x10x128,1024x128x10 --threads 1
            """)

    @Flag(help: "Fewer repetitions (a rough reading in a few seconds).")
    var quick = false

    @Option(help: "Thread counts to measure, comma-separated.")
    var threads: String = "1,2"

    @Flag(help: "Only the fused-op comparisons (skip the SGEMM tables).")
    var fusedOnly = false

    @Flag(help: "Only the image encoder's ops (skip the SGEMM tables and the fused ops).")
    var encoderOnly = false

    @Option(help: "Only these SGEMM shapes M×N×K (C[M×N] = A[M×K]·B[N×K]ᵀ), e.g. 1024x10x128,1024x128x10.")
    var shapes: String?

    func validate() throws {
        guard parsedThreads != nil else {
            throw ValidationError("--threads must be a comma-separated list of positive integers, e.g. 1,2")
        }
        if shapes != nil, parsedShapes == nil {
            throw ValidationError("--shapes must be comma-separated M×N×K triples of positive integers, e.g. 1024x10x128,1024x128x10")
        }
    }

    var parsedThreads: [Int]? { positiveIntegers(threads) }

    var parsedShapes: [(m: Int, n: Int, k: Int)]? {
        guard let shapes else { return nil }
        var out: [(m: Int, n: Int, k: Int)] = []
        for item in shapes.split(separator: ",") {
            let dims = item.split(whereSeparator: { $0 == "x" || $0 == "×" }).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard dims.count == 3, dims.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
            out.append((dims[0]!, dims[1]!, dims[2]!))
        }
        return out.isEmpty ? nil : out
    }

    func run() throws {
        var bench = KernelBenchmark()
        if quick { bench.repetitions = 2; bench.minSeconds = 0.02 }
        let threadCounts = parsedThreads!
        if fusedOnly { return runFused() }
        if encoderOnly { return runEncoder(threads: threadCounts) }
        if let ref = bench.reference {
            print("reference: \(ref.path) (core: \(ref.coreName.isEmpty ? "unknown" : ref.coreName))")
        } else {
            print("reference: none found (apt-get install libopenblas0-pthread); FlowTune numbers only")
        }
        print("FlowTune SGEMM: 8×32 SIMD16 micro-kernel, AVX-512: \(CPUFeatures.hasAVX512F)")
        print("")
        let header = "shape (M×N×K)        threads   FlowTune GFLOP/s   reference GFLOP/s   ratio"
        func line(_ label: String, _ r: KernelBenchmark.Row) -> String {
            let ref = r.reference.map { format($0, 1) } ?? "-"
            let ratio = r.ratio.map { format($0, 2) + "×" } ?? "-"
            return pad(label, 21) + pad("\(r.threads)", 10) + pad(format(r.ours, 1), 19) + pad(ref, 20) + ratio
        }
        if let custom = parsedShapes {
            print(header)
            for (m, n, k) in custom {
                for t in threadCounts { print(line("\(m)×\(n)×\(k)", bench.measure(m: m, n: n, k: k, threads: t))) }
            }
            return
        }
        print("square sizes")
        print(header)
        var worstPolicy = Double.infinity, lowestPolicy = Double.infinity
        for s in KernelBenchmark.squareSizes {
            for t in threadCounts { print(line("\(s)×\(s)×\(s)", bench.measure(m: s, n: s, k: s, threads: t))) }
        }
        print("")
        print("policy shapes")
        print(header)
        for (m, kn) in KernelBenchmark.policyShapes {
            for t in threadCounts {
                let r = bench.measure(m: m, n: kn, k: kn, threads: t)
                print(line("\(m)×\(kn)×\(kn)", r))
                if t == 1, let ratio = r.ratio { worstPolicy = min(worstPolicy, ratio) }
                lowestPolicy = min(lowestPolicy, r.ours)
            }
        }
        print("")
        if worstPolicy.isFinite {
            print("policy shapes, 1 thread: worst ratio \(format(worstPolicy, 2))× (target ≥ 0.80×); lowest rate \(format(lowestPolicy, 1)) GFLOP/s (target ≥ 50)")
        }
        print("")
        runFused()
        print("")
        runEncoder(threads: threadCounts)
    }

    func runEncoder(threads: [Int]) {
        for t in threads {
            ComputeSettings.threads = t
            runEncoder()
        }
    }

    func runEncoder() {
        var bench = EncoderKernelBenchmark()
        if quick { bench.repetitions = 2 }
        print("image encoder ops (ImageEncoder defaults, 64×64 RGB, batch \(bench.batch), \(ComputeSettings.threads) threads)")
        print(pad("op", 46) + pad("output", 18) + pad("forward ms", 12) + pad("fwd+bwd ms", 12) + "GFLOP/s (fwd+bwd)")
        let (rows, encoder) = bench.run()
        for r in rows {
            print(pad(r.op, 46) + pad(r.output.map(String.init).joined(separator: "×"), 18) + pad(format(r.forward * 1e3, 2), 12)
                  + pad(format(r.forwardBackward * 1e3, 2), 12) + (r.flops.map { format($0 / r.forwardBackward / 1e9, 1) } ?? ""))
        }
        let convs = rows.filter { $0.flops != nil }.reduce(0) { $0 + $1.forwardBackward }
        let norms = rows.filter { $0.op.hasPrefix("group norm") }.reduce(0) { $0 + $1.forwardBackward }
        print("whole encoder, forward + backward: \(format(encoder * 1e3, 1)) ms (\(format(Double(bench.batch) / encoder, 0)) images/s); "
              + "the convolutions alone \(format(convs * 1e3, 1)) ms, group norms \(format(norms * 1e3, 1)) ms")
    }

    func runFused() {
        print("fused linear (x·Wᵀ + b, activation) vs the same three ops unfused, \(ComputeSettings.threads) threads")
        print(pad("rows×features", 16) + pad("activation", 12) + pad("fused µs", 12) + pad("unfused µs", 12) + "speed-up")
        let fused = FusedLinearBenchmark()
        for (rows, f) in [(64, 256), (1024, 256), (4096, 512)] {
            for act in [FlowTensor.Activation.silu, .gelu] {
                let r = fused.measure(rows: rows, features: f, activation: act, repetitions: quick ? 2 : 5)
                print(pad("\(rows)×\(f)", 16) + pad(act.rawValue, 12) + pad(format(r.fusedMicroseconds, 1), 12)
                      + pad(format(r.unfusedMicroseconds, 1), 12) + format(r.unfusedMicroseconds / r.fusedMicroseconds, 2) + "×")
            }
        }
        print("")
        print("fused FiLM + SiLU (act(x·(1 + γ) + β), [γ, β] = p + q) vs the six ops unfused")
        print(pad("rows×features", 16) + pad("q rows", 9) + pad("pass", 20) + pad("fused µs", 12) + pad("unfused µs", 12) + "speed-up")
        let film = FusedFiLMBenchmark()
        for (rows, w) in [(64, 256), (1024, 256)] {
            for (shared, backward) in [(true, false), (false, false), (false, true)] {
                let r = film.measure(rows: rows, features: w, sharedTime: shared, backward: backward, repetitions: quick ? 2 : 5)
                print(pad("\(rows)×\(w)", 16) + pad(shared ? "1" : "\(rows)", 9) + pad(backward ? "forward + backward" : "forward", 20)
                      + pad(format(r.fusedMicroseconds, 1), 12) + pad(format(r.unfusedMicroseconds, 1), 12)
                      + format(r.unfusedMicroseconds / r.fusedMicroseconds, 2) + "×")
            }
        }
        print("")
        print("fused stochastic sampling step (x = μ + σ·z and its log-density, one-step schedule) vs the composed ops")
        print(pad("rows×H·D", 16) + pad("fused µs", 12) + pad("unfused µs", 12) + "speed-up")
        let step = FusedGaussianStepBenchmark()
        for rows in [64, 1024] {
            let r = step.measure(rows: rows, width: 20, repetitions: quick ? 2 : 5)
            print(pad("\(rows)×20", 16) + pad(format(r.fusedMicroseconds, 1), 12) + pad(format(r.unfusedMicroseconds, 1), 12)
                  + format(r.unfusedMicroseconds / r.fusedMicroseconds, 2) + "×")
        }
    }
}

struct BenchPolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "CFM training samples/s and K-step sampling chunks/s of the flow policy.",
        discussion: """
            The policy is the default architecture (encoder 256-256, velocity MLP 3×256 with FiLM, \
            H = 5, K = 5, 16-d observations, 4-d actions). Training is one CFM step (forward, backward, \
            AdamW); sampling is the deterministic ODE and the one-step Flow-SDE sampler.

            Examples:
              flowtune bench policy
              flowtune bench policy --batches 64,1024 --seconds 2
            """)

    @Option(help: "Batch sizes, comma-separated.")
    var batches: String = "64,1024"

    @Option(help: "Seconds per measurement.")
    var seconds: Double = 1.0

    func validate() throws {
        guard parsedBatches != nil else { throw ValidationError("--batches must be positive integers separated by commas, e.g. 64,1024") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    }

    var parsedBatches: [Int]? { positiveIntegers(batches) }

    func run() throws {
        var bench = PolicyBenchmark()
        bench.minSeconds = seconds
        print("flow policy: \(bench.config.encoderWidths) encoder, \(bench.config.velocityDepth)×\(bench.config.velocityWidth) velocity MLP, H=\(bench.config.chunkLength), K=\(bench.config.denoisingSteps), threads=\(ComputeSettings.threads)")
        print(pad("batch", 8) + pad("CFM train samples/s", 22) + pad("ODE chunks/s", 16) + "Flow-SDE chunks/s")
        for b in parsedBatches! {
            let r = try bench.measure(batch: b)
            print(pad("\(b)", 8) + pad(format(r.trainSamplesPerSecond, 0), 22) + pad(format(r.odeChunksPerSecond, 0), 16)
                  + format(r.sdeChunksPerSecond, 0))
        }
    }
}

struct BenchEnvsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envs",
        abstract: "Environment steps per second of every built-in task on one core.",
        discussion: """
            Steps N environments together with random actions (simulator throughput) and with the \
            scripted expert acting (throughput including the expert), and renders their top-down RGB \
            frames at 64×64 and 84×84 (frames/s of rendering alone).

            Examples:
              flowtune bench envs
              flowtune bench envs --num-envs 4096 --steps 500
            """)

    @Option(help: "Environments stepped together.")
    var numEnvs: Int = 1024

    @Option(help: "Steps per environment.")
    var steps: Int = 1000

    func validate() throws {
        guard numEnvs >= 1, steps >= 1 else { throw ValidationError("--num-envs and --steps must be ≥ 1") }
    }

    func run() throws {
        print(pad("task", 18) + pad("env steps/s", 16) + pad("with expert acting", 22) + pad("64×64 frames/s", 18) + "84×84 frames/s")
        for id in BuiltinEnvironments.ids {
            let random = try EnvBenchmark.run(id: id, numEnvs: numEnvs, steps: steps, actions: .random)
            let expert = try EnvBenchmark.run(id: id, numEnvs: numEnvs, steps: steps, actions: .expert)
            let renders = max(1, min(steps, 50))
            let small = try RenderBenchmark.framesPerSecond(id: id, numEnvs: numEnvs, size: 64, renders: renders)
            let large = try RenderBenchmark.framesPerSecond(id: id, numEnvs: numEnvs, size: 84, renders: renders)
            print(pad(id, 18) + pad(format(random.stepsPerSecond, 0), 16) + pad(format(expert.stepsPerSecondWithExpert, 0), 22)
                  + pad(format(small, 0), 18) + format(large, 0))
        }
    }
}

struct BenchBridgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Python simulators through the worker bridge vs plain Python loops.",
        discussion: """
            Steps N environments of a bridge id (default MetaWorld reach-v3) with random actions, \
            through the bridge with each worker count P and, as the reference for each, in P plain \
            Python processes stepping the same shards with nothing between them \
            (python -m flowtune_bridge bench --processes P). Every repetition measures every row back \
            to back; the table shows medians and the ratios are medians of within-repetition ratios, \
            because the simulator's own speed drifts by ±20% on a shared machine. Reports the per-step \
            overhead of the bridge at one worker, the speed-up of more workers, and the speed-up P \
            independent Python processes reach on this machine (the ceiling for P workers). Needs the \
            simulator's Python packages (pip install 'metaworld==3.1.1' packaging).

            Examples:
              flowtune bench bridge
              flowtune bench bridge --env metaworld/push-v3 --num-envs 16 --repetitions 9
              flowtune bench bridge --workers 1 --observation pixels --image-size 84
            """)

    @OptionGroup var target: BridgeBenchOptions

    @Option(help: "state, pixels or pixels+state: with pixels, every step also renders MetaWorld's camera (bridge and plain loops).")
    var observation: ObservationMode = .state

    @Option(help: "Frames are image-size × image-size RGB (pixel observations only).")
    var imageSize: Int = 64

    @Option(help: "Steps per environment in each repetition.")
    var steps: Int = 150

    @Option(help: "Alternating repetitions, each in fresh processes (the medians are reported).")
    var repetitions: Int = BridgeBenchmark.defaultRepetitions

    func validate() throws {
        guard steps >= 1, repetitions >= 1 else { throw ValidationError("--steps and --repetitions must be ≥ 1") }
        guard ImageLayout.sizes.contains(imageSize) else {
            throw ValidationError("--image-size must be within \(ImageLayout.sizes.lowerBound)...\(ImageLayout.sizes.upperBound)")
        }
    }

    func run() throws {
        let env = target.env, numEnvs = target.numEnvs
        var bench = BridgeBenchmark(envID: env, numEnvs: numEnvs, steps: steps)
        bench.repetitions = repetitions
        bench.observation = observation
        bench.imageSize = imageSize
        let counts = BridgeBenchmark.measuredWorkerCounts(target.workerCounts)  // 1 always: the baseline
        let r = try bench.run(workerCounts: counts) { rep in
            FileHandle.standardError.write(Data("repetition \(rep)/\(repetitions) done\n".utf8))
        }
        let seen = observation == .state ? "state observations" : "\(observation.rawValue) \(imageSize)×\(imageSize) (MetaWorld's camera)"
        print("\(env), \(seen): \(numEnvs) environments × \(steps) steps, random actions, \(ProcessInfo.processInfo.activeProcessorCount) cores, medians of \(repetitions) alternating repetitions")
        print(pad("", 30) + pad("env steps/s", 14) + pad("µs per env step", 18) + "vs 1 plain loop")
        for setup in BridgeBenchmark.setups(workerCounts: counts) {
            let label: String
            switch setup {
            case .plain(let p): label = p == 1 ? "plain Python loop" : "\(p) plain Python processes"
            case .bridge(let w): label = "bridge, \(w) worker\(w == 1 ? "" : "s")"
            }
            guard let sps = r.medianStepsPerSecond(setup), let rel = r.medianRatio(.plain(processes: 1), over: setup) else { continue }
            print(pad(label, 30) + pad(format(sps, 0), 14) + pad(format(1e6 / sps, 1), 18) + format(rel, 2) + "×")
        }
        if let o = r.overheadAtOneWorker, let each = r.pairedRatios(.bridge(workers: 1), over: .plain(processes: 1)) {
            // The spread shows how far one repetition can be trusted on this machine.
            print("overhead per env step at 1 worker: \(format(o * 100, 1))% (target ≤ 10%; repetitions ranged "
                  + "\(format((each.min()! - 1) * 100, 1))% … \(format((each.max()! - 1) * 100, 1))%)")
        }
        for w in counts where w > 1 {
            if let s = r.speedUp(workers: w), let c = r.ceiling(processes: w) {
                print("speed-up of \(w) workers over 1: \(format(s, 2))×; \(w) independent Python processes reach \(format(c, 2))× (\(format(100 * s / c, 0))% of that)")
            }
        }
        // Memory decides how many environments of a heavy simulator (LIBERO) a machine can hold.
        for w in counts {
            guard let peaks = r.peakWorkerBytes[w], !peaks.isEmpty else { continue }
            let perWorker = (numEnvs + w - 1) / w
            print("worker memory, \(w) worker\(w == 1 ? "" : "s") (up to \(perWorker) environments each): peak resident "
                  + "\(format(CompareBenchmark.median(peaks.map(Double.init)) / 1_048_576, 0)) MiB (median over repetitions)")
        }
        if let w = counts.first(where: { $0 > 1 }), let b = r.bytesPerEnvironment(numEnvs: numEnvs, workers: w) {
            print("memory per environment: about \(format(b / 1_048_576, 0)) MiB (the peaks' difference over the environments' difference)")
        }
    }
}

/// `"1, 2,4"` → `[1, 2, 4]`; nil unless every entry is a positive integer.
func positiveIntegers(_ text: String) -> [Int]? {
    let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
    return parts.map { $0! }
}
