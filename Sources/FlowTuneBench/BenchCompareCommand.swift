import ArgumentParser
import FlowTensor
import FlowTuneCLI
import Foundation

/// `flowtune bench compare`: FlowTune against PyTorch and JAX implementations of the same work.
struct BenchCompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "FlowTune against PyTorch (eager, torch.compile) and JAX (jit) on the same workloads.",
        discussion: """
            Runs FlowTune's workloads in-process and each available peer (bench/peers/peer.py, installed \
            with bench/peers/install.sh) as a child process on the same weights, alternating repetition \
            by repetition, and prints one table of per-call medians with ratios FlowTune ÷ peer \
            (speed; > 1 means FlowTune is faster), for each thread count, plus FlowTune's GEMM FLOP \
            rate in W2/W3 as a fraction of its best SGEMM rate measured in the same run.

            Workloads (see bench/peers/workloads.py): W1 sample-ode/sample-sde (K = 5, 10; batch 1, 16, \
            64, 256, 1024), W2 ppo-sde/ppo-noise (one PPO epoch of 4096 decisions, minibatch 256, 1024), \
            W3 fpo (one FPO epoch, N_mc = 8, minibatch 256, 1024), W4 rl-iteration (collect + update \
            on reach-obstacle, 64 environments; the peers step the same task ported to numpy, see \
            bench/peers/rl_iteration.py), W5 encoder (forward and backward of the pixel \
            policies' image encoder, 64×64 RGB, batch 64 and 256; reported in images/s).

            Examples:
              flowtune bench compare
              flowtune bench compare --workloads W2,W3 --peers jax --threads 1
              flowtune bench compare --workloads sample-ode --batches 1,1024 --repetitions 3
            """)

    @Option(help: "Workloads: groups (W1…W5) or kinds (sample-ode, sample-sde, ppo-sde, ppo-noise, fpo, rl-iteration, encoder), comma-separated.")
    var workloads: String = "W1,W2,W3,W4,W5"

    @Option(help: "Only these batch / minibatch sizes (default: the issue's list for each workload).")
    var batches: String?

    @Option(help: "Peer stacks: torch-eager, torch-compile, jax, comma-separated (unavailable ones are reported and skipped); empty: FlowTune alone.")
    var peers: String = "torch-eager,torch-compile,jax"

    @Option(help: "Thread counts, comma-separated.")
    var threads: String = "1,2"

    @Option(help: "Timed repetitions per stack and workload (the median is reported).")
    var repetitions: Int = 5

    @Option(help: "Minimum seconds of one timed repetition.")
    var minSeconds: Double = 0.2

    @Option(help: "Directory holding peer.py (default: bench/peers of this source tree).")
    var peersDir: String?

    func validate() throws {
        guard selectedWorkloads != nil else {
            throw ValidationError("--workloads must name W1…W5 or \(CompareWorkload.Kind.allCases.map(\.rawValue).joined(separator: ", ")), comma-separated")
        }
        guard batches == nil || positiveIntegers(batches!) != nil else { throw ValidationError("--batches must be positive integers separated by commas") }
        guard selectedStacks != nil else { throw ValidationError("--peers must be a comma-separated subset of torch-eager, torch-compile, jax") }
        guard positiveIntegers(threads) != nil else { throw ValidationError("--threads must be positive integers separated by commas, e.g. 1,2") }
        guard repetitions >= 1, minSeconds > 0 else { throw ValidationError("--repetitions must be ≥ 1 and --min-seconds positive") }
    }

    var selectedWorkloads: [CompareWorkload]? {
        let names = workloads.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var out: [CompareWorkload] = []
        for n in names {
            let matching = CompareWorkload.standard.filter { $0.kind.group.lowercased() == n.lowercased() || $0.kind.rawValue == n }
            if matching.isEmpty { return nil }
            out += matching.filter { !out.contains($0) }
        }
        if let b = batches.flatMap(positiveIntegers) { out = out.filter { $0.kind == .rlIteration || b.contains($0.batch) } }
        return out
    }

    var selectedStacks: [PeerProcess.Stack]? {
        let names = peers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let stacks = names.compactMap(PeerProcess.Stack.init(rawValue:))
        return stacks.count == names.count ? stacks : nil
    }

    /// peer.py in `--peers-dir`, else `bench/peers` under the working directory, else beside this source tree.
    func peerScript() throws -> String {
        let sourceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()  // FlowTuneBench
            .deletingLastPathComponent().deletingLastPathComponent().path
        let candidates = peersDir.map { [$0] } ?? ["bench/peers", sourceRoot + "/bench/peers"]
        for dir in candidates where FileManager.default.fileExists(atPath: dir + "/peer.py") {
            return URL(fileURLWithPath: dir + "/peer.py").standardizedFileURL.path
        }
        throw ValidationError("peer.py not found in \(candidates.joined(separator: " or ")); pass --peers-dir")
    }

    func run() throws {
        let directory = NSTemporaryDirectory() + "flowtune-bench-compare-\(ProcessInfo.processInfo.processIdentifier)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stacks = selectedStacks!
        // Unbuffered lines: progress shows as rows finish, also when the output goes to a file.
        func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        var bench = CompareBenchmark(workloads: selectedWorkloads!, stacks: stacks, threadCounts: positiveIntegers(threads)!,
                                     repetitions: repetitions, minSeconds: minSeconds,
                                     peerScript: stacks.isEmpty ? "" : try peerScript(),  // FlowTune alone (e.g. under a profiler)
                                     directory: directory)
        bench.log = emit
        emit("policy: reach-obstacle widths, encoder 128-128, velocity 3×128 FiLM, time 32, SiLU, H=5; medians of \(repetitions) alternating repetitions")
        let rows = try bench.run()
        emit("")
        emit("ratio = FlowTune speed ÷ peer speed (> 1: FlowTune faster); GEMM GFLOP/s = 3× forward linear-layer FLOPs ÷ time")
        emit(CompareBenchmark.table(rows, stacks: stacks))
    }
}
