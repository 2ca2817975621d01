import Dispatch
import FlowNN
import FlowPolicy
import FlowTensor
import FlowTuneCLI
import Foundation

/// `flowtune bench compare`: FlowTune's workloads in-process against each peer stack in a child
/// process, on the same weights, measured alternately (FlowTune, then the peers in an order that
/// rotates every round) so that load from other processes on the shared machine hits every stack
/// alike; per-call medians over the repetitions; ratios are read within one thread count.
struct CompareBenchmark {
    var workloads: [CompareWorkload]
    var stacks: [PeerProcess.Stack]
    var threadCounts: [Int]
    var repetitions = 5
    /// Each timed repetition of each stack lasts at least this long (calls are repeated until it does).
    var minSeconds = 0.2
    var peerScript: String
    var directory: String
    var log: (String) -> Void = { print($0) }

    /// One stack's result for one workload: median seconds per call, or why it is missing.
    enum Cell {
        case seconds(Double, unitsPerCall: Int)
        case unavailable(String)

        var seconds: Double? { if case .seconds(let s, _) = self { return s } else { return nil } }
    }

    struct Row {
        var workload: CompareWorkload
        var threads: Int
        var flowtune: Cell
        var peers: [PeerProcess.Stack: Cell]
        /// FlowTune's GEMM FLOP rate in W2/W3, GFLOP/s.
        var gflops: Double?
        var sgemmGFLOPs: Double
    }

    func run() throws -> [Row] {
        let checkpoints = try CompareCheckpoints(directory: directory + "/checkpoints")
        var rows: [Row] = []
        for threads in threadCounts {
            ComputeSettings.threads = threads
            let sgemm = Self.bestSGEMM(threads: threads)
            log("threads \(threads): best FlowTune SGEMM \(format(sgemm, 1)) GFLOP/s")
            var peers: [PeerProcess.Stack: PeerProcess] = [:]
            var missing: [PeerProcess.Stack: String] = [:]
            for s in stacks {
                do { peers[s] = try PeerProcess(stack: s, threads: threads, script: peerScript, logDirectory: directory) } catch {
                    missing[s] = "\(error)"
                    log("  \(s.title) unavailable: \(error)")
                }
            }
            for (i, w) in workloads.enumerated() {
                let row = try measure(w, id: "w\(i)", threads: threads, checkpoints: checkpoints, peers: peers, missing: missing,
                                      sgemm: sgemm)
                log("  " + Self.progressLine(row))
                rows.append(row)
            }
            for p in peers.values { p.stop() }
        }
        return rows
    }

    private func measure(_ w: CompareWorkload, id: String, threads: Int, checkpoints: CompareCheckpoints,
                         peers: [PeerProcess.Stack: PeerProcess], missing: [PeerProcess.Stack: String], sgemm: Double) throws -> Row {
        let ours = try FlowTuneWorkloadRunner.prepare(w, checkpoints: checkpoints)
        try ours.call(); try ours.call()
        var peerUnits: [String: Int] = [:]
        var timers: [(key: String, time: (Int) throws -> Double)] = [("flowtune", { calls in
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<calls { try ours.call() }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        })]
        var cells: [PeerProcess.Stack: Cell] = missing.mapValues { .unavailable($0) }
        let checkpoint = checkpoints.path(for: w)
        for s in stacks {
            guard let p = peers[s] else { continue }
            do {
                try p.prepare(id: id, workload: w, checkpoint: checkpoint)
                timers.append((s.rawValue, { calls in
                    let (seconds, units) = try p.run(id: id, calls: calls)
                    peerUnits[s.rawValue] = units
                    return seconds
                }))
            } catch {
                cells[s] = .unavailable("\(error)")
            }
        }
        // Calibrate: calls per repetition so each stack's repetition lasts ≥ minSeconds.
        var calls: [String: Int] = [:]
        var samples: [String: [Double]] = [:]
        func callsFor(_ once: Double) -> Int { max(1, Int((minSeconds / max(once, 1e-7)).rounded(.up))) }
        calls["flowtune"] = callsFor(try timers[0].time(1))
        for t in timers.dropFirst() {
            do { calls[t.key] = callsFor(try t.time(1)) } catch { cells[PeerProcess.Stack(rawValue: t.key)!] = .unavailable("\(error)") }
        }
        for r in 0..<repetitions {
            // FlowTune first, then the peers in an order rotated every round.
            let peerTimers = Array(timers.dropFirst())
            let rotated = peerTimers.isEmpty ? [] : Array(peerTimers[(r % peerTimers.count)...] + peerTimers[..<(r % peerTimers.count)])
            for t in [timers[0]] + rotated {
                guard let n = calls[t.key] else { continue }
                do { samples[t.key, default: []].append(try t.time(n) / Double(n)) } catch {
                    calls[t.key] = nil
                    if let s = PeerProcess.Stack(rawValue: t.key) { cells[s] = .unavailable("\(error)") }
                }
            }
        }
        for s in stacks { peers[s]?.drop(id: id) }
        let units = ours.unitsPerCall()
        for s in stacks where cells[s] == nil {
            if let xs = samples[s.rawValue], !xs.isEmpty {
                cells[s] = .seconds(Self.median(xs), unitsPerCall: peerUnits[s.rawValue] ?? 0)
            }
        }
        let mine = Self.median(samples["flowtune"] ?? [])
        let policyConfig = try CompareWorkload.policyConfig(steps: w.steps, noise: w.kind.usesNoisePolicy)
        let gflops = WorkloadFLOPs.training(w, config: policyConfig).map { $0 / mine / 1e9 }
        return Row(workload: w, threads: threads, flowtune: .seconds(mine, unitsPerCall: units), peers: cells,
                   gflops: gflops, sgemmGFLOPs: sgemm)
    }

    /// The best rate of FlowTune's SGEMM at this thread count (square 512 and 1024, `C = A·Bᵀ`).
    static func bestSGEMM(threads: Int) -> Double {
        let bench = KernelBenchmark(reference: nil)
        return [512, 1024].map { bench.measure(m: $0, n: $0, k: $0, threads: threads).ours }.max()!
    }

    static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return .nan }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// FlowTune's speed ÷ the peer's speed (> 1: FlowTune is faster).
    static func ratio(_ ours: Cell, _ peer: Cell) -> Double? {
        guard let a = ours.seconds, let b = peer.seconds else { return nil }
        return b / a
    }

    static func timeText(_ c: Cell, _ w: CompareWorkload) -> String {
        switch c {
        case .unavailable: return "n/a"
        case .seconds(let s, let units):
            if w.kind == .rlIteration, units > 0 { return format(Double(units) / s / 1000, 1) + "k steps/s" }
            if w.kind == .encoder { return format(Double(w.batch) / s, 0) + " images/s" }
            return s >= 0.1 ? format(s, 2) + " s" : s >= 1e-3 ? format(s * 1e3, 2) + " ms" : format(s * 1e6, 0) + " µs"
        }
    }

    static func progressLine(_ r: Row) -> String {
        var parts = ["\(r.workload): FlowTune \(timeText(r.flowtune, r.workload))"]
        for (s, c) in r.peers.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let ratio = Self.ratio(r.flowtune, c).map { " (\(format($0, 2))×)" } ?? ""
            parts.append("\(s.title) \(timeText(c, r.workload))\(ratio)")
        }
        return parts.joined(separator: ", ")
    }

    /// The result table (Markdown, so it pastes into docs/results/speed.md unchanged).
    static func table(_ rows: [Row], stacks: [PeerProcess.Stack]) -> String {
        var header = ["workload", "threads", "FlowTune"] + stacks.map { "\($0.title) (FlowTune ×)" }
        header.append("FlowTune GEMM GFLOP/s (of SGEMM)")
        var lines = ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
        for r in rows {
            var cells = [r.workload.description, "\(r.threads)", timeText(r.flowtune, r.workload)]
            for s in stacks {
                let c = r.peers[s] ?? .unavailable("not run")
                let ratio = ratio(r.flowtune, c).map { " (\(format($0, 2))×)" } ?? ""
                cells.append(timeText(c, r.workload) + ratio)
            }
            cells.append(r.gflops.map { "\(format($0, 1)) (\(format(100 * $0 / r.sgemmGFLOPs, 0))% of \(format(r.sgemmGFLOPs, 0)))" } ?? "")
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
