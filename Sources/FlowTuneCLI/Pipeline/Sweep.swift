import FlowPolicy
import FlowRL
import Foundation

/// Runs several RL variants × seeds from one starting policy and tabulates them: the engine of
/// `flowtune sweep` (methods side by side) and `flowtune ablate` (FPO components switched off one at
/// a time). Every run gets its own run directory inside the sweep's, so each can be inspected,
/// reported and resumed like any other; the sweep writes `table.md` and `results.json` beside them.
///
/// Variants differ only in their `--set` overrides; seeds only in `run.seed` (the RL seed: rollout
/// noise, minibatch order, critic initialisation, training episodes). The starting policy and the
/// evaluation episodes are the same for every run, so differences are the method's.
public struct Sweep {
    public struct Variant: Sendable {
        public let name: String
        public let overrides: [String]
    }

    /// One finished run.
    public struct Outcome: Codable, Sendable {
        public let variant: String
        public let seed: Int
        public let finalSuccess: Double
        public let finalEpisodes: Int
        /// Mean of the evaluated success rate over the run, trapezoidal in iterations (iteration 0 is
        /// the starting policy): 1 for a run that is perfect from the start.
        public let areaUnderCurve: Double
        public let environmentSteps: Int
        public let wallSeconds: Double
    }

    let configFile: String?
    let baseOverrides: [String]
    let variants: [Variant]
    let seeds: [Int]
    let directory: RunDirectory
    let log: RunLogger

    /// Runs every variant for every seed from `initial` (evaluated once as `initialEvaluation`).
    /// Training updates a policy in place, so every run starts from its own copy of `initial`.
    func run(from initial: FlowPolicy, initialEvaluation: EvaluationReport) throws -> [Outcome] {
        let snapshot = try initial.checkpointFile()
        var outcomes: [Outcome] = []
        for variant in variants {
            for seed in seeds {
                let name = "\(variant.name)-seed\(seed)"
                let config = try FlowTuneConfig.load(file: configFile, overrides: baseOverrides + variant.overrides + [
                    "run.seed=\(seed)", "run.name=\(name)", "run.output_dir=\(directory.path)",
                ])
                let run = try RunDirectory.create(for: config, overwrite: false)
                try run.writeConfig(config, command: "sweep \(directory.path): \(variant.name), seed \(seed)")
                let runLog = try run.makeLogger()
                let start = Date()
                let pipeline = Pipeline(config: config, run: run, log: runLog)
                let policy = try FlowPolicy.load(from: snapshot)
                try pipeline.adoptDenoisedClip(policy)
                let (trainer, final, interrupted) = try pipeline.reinforcementLearning(
                    from: policy, initialEvaluation: initialEvaluation, progressTTY: false)
                guard let final, !interrupted else {
                    log.info("sweep stopped during \(name); finished runs are in \(directory.path)")
                    throw SweepError.interrupted(path: directory.path)
                }
                var curve: [(Double, Double)] = [(0, initialEvaluation.successRate)]
                curve += trainer.evaluations.filter { $0.iteration < trainer.iteration }.map { (Double($0.iteration), $0.report.successRate) }
                curve.append((Double(trainer.iteration), final.successRate))
                let outcome = Outcome(variant: variant.name, seed: seed, finalSuccess: final.successRate,
                                      finalEpisodes: final.episodes, areaUnderCurve: Self.normalizedArea(curve),
                                      environmentSteps: trainer.environmentSteps, wallSeconds: Date().timeIntervalSince(start))
                outcomes.append(outcome)
                log.info(String(format: "%@: success %.1f%% (%d/%d), area %.3f, %d env steps, %.1f min", name,
                                final.successRate * 100, final.successes, final.episodes, outcome.areaUnderCurve,
                                outcome.environmentSteps, outcome.wallSeconds / 60))
                try write(outcomes, initialEvaluation: initialEvaluation)
            }
        }
        return outcomes
    }

    /// Trapezoidal area under `(iteration, success)` points divided by the iteration span.
    public static func normalizedArea(_ points: [(Double, Double)]) -> Double {
        guard let first = points.first, let last = points.last, last.0 > first.0 else { return points.first?.1 ?? 0 }
        var area = 0.0
        for (a, b) in zip(points, points.dropFirst()) { area += (b.0 - a.0) * (a.1 + b.1) / 2 }
        return area / (last.0 - first.0)
    }

    /// `table.md` (mean ± sample std over seeds, per-seed values) and `results.json`.
    func write(_ outcomes: [Outcome], initialEvaluation: EvaluationReport) throws {
        let table = Self.table(outcomes, variants: variants.map(\.name), initial: initialEvaluation)
        try table.write(toFile: directory.file("table.md"), atomically: true, encoding: .utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(outcomes).write(to: URL(fileURLWithPath: directory.file("results.json")), options: .atomic)
    }

    static func table(_ outcomes: [Outcome], variants: [String], initial: EvaluationReport) -> String {
        func meanStd(_ x: [Double]) -> String {
            let m = x.reduce(0, +) / Double(x.count)
            guard x.count > 1 else { return String(format: "%.1f", m) }
            let s = (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
            return String(format: "%.1f ± %.1f", m, s)
        }
        var lines = [
            String(format: "Starting policy: %.1f%% (%d/%d episodes).", initial.successRate * 100, initial.successes, initial.episodes),
            "",
            "| variant | final success % (mean ± std) | per seed | area under success curve % | env steps per run | minutes per run |",
            "|---|---|---|---|---|---|",
        ]
        for v in variants {
            let runs = outcomes.filter { $0.variant == v }
            guard !runs.isEmpty else { continue }
            let perSeed = runs.map { String(format: "%.1f", $0.finalSuccess * 100) }.joined(separator: ", ")
            let episodes = runs[0].finalEpisodes
            lines.append("| \(v) | \(meanStd(runs.map { $0.finalSuccess * 100 })) | \(perSeed) (\(episodes) episodes each) | "
                         + "\(meanStd(runs.map { $0.areaUnderCurve * 100 })) | \(runs[0].environmentSteps) | "
                         + "\(meanStd(runs.map { $0.wallSeconds / 60 })) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

enum SweepError: Error, CustomStringConvertible {
    case interrupted(path: String)
    case noVariants

    var description: String {
        switch self {
        case .interrupted(let path): return "The sweep was interrupted; the finished runs and their table are in \(path)."
        case .noVariants: return "Nothing to run: give at least one method and one seed."
        }
    }
}
