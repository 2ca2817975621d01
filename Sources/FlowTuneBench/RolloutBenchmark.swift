import FlowEnvs
import FlowPolicy
import FlowRL
import FlowTuneCLI
import Foundation

/// Whole RL iterations (rollout and update) on a Python simulator, in environment steps per second,
/// against the plain Python loop stepping the same environments in the same run.
///
/// ```swift
/// let rows = try RolloutBenchmark(config: config, makePolicy: { try FlowPolicy.load(path) }).run(workerCounts: [1, 2])
/// rows.last!.fraction    // RL iteration env steps/s ÷ the plain loop's with as many processes
/// ```
///
/// For every worker count P, the reference is `BridgeBenchmark.plainLoop` with P processes on the
/// run's environments (random actions, nothing between the steps: what P cores simulate at most),
/// measured right before P workers run `config.rl.iterations` RL iterations with the run's placement
/// (`WorkerPlacement`). The RL rate counts every environment step of those iterations over their
/// whole time, update included; starting the workers is not timed. Each worker count starts from the
/// same policy. Periodic evaluation is off: it is not part of an iteration's throughput.
///
/// A shared host's speed drifts by tens of percent within a minute, so the two measurements
/// alternate `repetitions` times (the trainer continues from one block of iterations to the next)
/// and a row reports the medians: of each rate, and of the ratios of each pair measured back to back.
public struct RolloutBenchmark {
    public var config: FlowTuneConfig
    /// A fresh copy of the policy to train (called once per worker count: training changes it).
    public var makePolicy: () throws -> FlowPolicy
    /// Steps per environment of the plain loop's measurement.
    public var plainSteps = 200
    /// Alternating (plain loop, RL iterations) pairs per worker count.
    public var repetitions = 3

    public init(config: FlowTuneConfig, makePolicy: @escaping () throws -> FlowPolicy) {
        self.config = config
        self.makePolicy = makePolicy
    }

    public struct Row {
        public var workers: Int
        public var plainStepsPerSecond: Double
        public var iterationStepsPerSecond: Double
        /// The median over repetitions of RL iterations' env steps/s over the plain loop's with as
        /// many processes, each pair measured back to back.
        public var fraction: Double

        public init(workers: Int, plainStepsPerSecond: Double, iterationStepsPerSecond: Double, fraction: Double? = nil) {
            self.workers = workers
            self.plainStepsPerSecond = plainStepsPerSecond
            self.iterationStepsPerSecond = iterationStepsPerSecond
            self.fraction = fraction ?? iterationStepsPerSecond / plainStepsPerSecond
        }
    }

    public func run(workerCounts: [Int], progress: (String) -> Void = { _ in }) throws -> [Row] {
        let plain = BridgeBenchmark(envID: config.env.id, numEnvs: config.env.numEnvs, steps: plainSteps)
        return try plain.withActions { _, file in
            try workerCounts.map { workers in
                let trainer = try makeTrainer(workers: workers)
                var references: [Double] = [], rates: [Double] = []
                for _ in 0..<max(1, repetitions) {
                    references.append(1 / (try plain.plainLoop(processes: workers, actionsFile: file)))
                    progress("plain loop, \(workers) process\(workers == 1 ? "" : "es"): \(format(references.last!, 0)) env steps/s")
                    rates.append(try iterationStepsPerSecond(trainer))
                    progress("RL iterations, \(workers) worker\(workers == 1 ? "" : "s"): \(format(rates.last!, 0)) env steps/s")
                }
                return Row(workers: workers, plainStepsPerSecond: Self.median(references), iterationStepsPerSecond: Self.median(rates),
                           fraction: Self.median(zip(rates, references).map { $0 / $1 }))
            }
        }
    }

    /// A trainer of a fresh policy with `workers` workers and the run's placement (workers started).
    func makeTrainer(workers: Int) throws -> RLTrainer {
        var rl = config.rl
        rl.demoLossCoef = nil
        var run = config.rlRun
        run.evalEvery = 0
        let policy = try config.withNoiseNetworkIfNeeded(try makePolicy())
        let trainer = try RLTrainer(policy: policy, envID: config.env.id, config: rl, run: run, bridge: .init(workers: workers))
        var placement = config
        placement.run.bridgeWorkers = workers
        trainer.placement = placement.workerPlacement
        return trainer
    }

    /// Environment steps per second of the next `config.rl.iterations` whole iterations of `trainer`.
    func iterationStepsPerSecond(_ trainer: RLTrainer) throws -> Double {
        let stepsBefore = trainer.environmentSteps
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<config.rl.iterations { try trainer.runIteration() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(trainer.environmentSteps - stepsBefore) / seconds
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The closing line: the largest worker count's fraction.
    public static func summary(_ rows: [Row]) -> String {
        guard let last = rows.max(by: { $0.workers < $1.workers }) else { return "rl iteration throughput: no measurement" }
        return "rl iteration throughput: \(format(100 * last.fraction, 1))% of the plain loop (\(last.workers) workers)"
    }
}
