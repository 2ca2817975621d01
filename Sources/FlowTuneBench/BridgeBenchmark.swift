import FlowEnvs
import FlowTensor
import FlowTuneCLI
import Foundation

/// Stepping N simulator environments through the worker bridge against the same environments in
/// plain Python loops (`python -m flowtune_bridge bench`), alternated repetition by repetition.
///
/// ```swift
/// let r = try BridgeBenchmark(envID: "metaworld/reach-v3", numEnvs: 8, steps: 500).run(workerCounts: [1, 2])
/// r.overheadAtOneWorker    // median over repetitions of bridge s/step ÷ plain s/step − 1
/// ```
///
/// For every worker count P the reference is P plain Python processes stepping the same shards with
/// nothing between them (P = 1: the floor one Python process reaches, with the same suite code and
/// reset rule; P > 1: the ceiling the cores and memory allow P processes). The bridge timing covers
/// `step` only (after `reset`): send all actions, simulate, receive all replies, auto-resets included.
/// Actions are uniform in [-1, 1], drawn once before timing and handed to the plain loops through a
/// Float32 file, so every setup simulates the very same trajectories (a contact-rich trajectory
/// costs more per step, which would otherwise bias the comparison).
///
/// Why repetitions alternate and ratios are paired: on this shared machine the same Python loop's
/// speed drifts by ±20% from one second to the next, more than the overhead being measured. Each
/// repetition measures every row back to back, each ratio is taken within a repetition, and the
/// table reports medians.
///
/// With `observation` `.pixels` (or `.pixelsAndState`) every step also renders MetaWorld's camera
/// at `imageSize`², through the bridge and in the plain loops alike (`--image-size`), so the table
/// shows frames per second and what the bridge adds to a step that carries a frame.
public struct BridgeBenchmark {
    public var envID: String
    public var numEnvs: Int
    public var steps: Int
    public var observation: ObservationMode = .state
    public var imageSize = 64
    /// Many short repetitions rather than a few long ones: each repetition starts fresh Python
    /// processes, and on a shared machine a process's simulator speed varies by ±20–50% from one
    /// process to the next, so the median needs many of them (25 of 150 steps take about 5 minutes).
    public static let defaultRepetitions = 25
    public var repetitions = BridgeBenchmark.defaultRepetitions
    public var seed: UInt64 = 0

    public init(envID: String, numEnvs: Int, steps: Int) {
        self.envID = envID
        self.numEnvs = numEnvs
        self.steps = steps
    }

    /// One kind of measurement: plain Python processes or the bridge, with a process count.
    public enum Setup: Hashable, Sendable {
        case plain(processes: Int)
        case bridge(workers: Int)
    }

    /// One setup's measurement in one repetition.
    public struct Measurement {
        public var secondsPerEnvStep: Double
        /// Bridge setups: the largest peak resident memory of any worker (nil for the plain loops, or
        /// where it cannot be read).
        public var peakWorkerBytes: Int?
    }

    public struct Result {
        /// Seconds per env step, every repetition, per setup.
        public var secondsPerEnvStep: [Setup: [Double]]
        /// Per worker count: the largest worker's peak resident memory, every repetition.
        public var peakWorkerBytes: [Int: [Int]]

        public init(secondsPerEnvStep: [Setup: [Double]], peakWorkerBytes: [Int: [Int]] = [:]) {
            self.secondsPerEnvStep = secondsPerEnvStep
            self.peakWorkerBytes = peakWorkerBytes
        }

        /// What one more environment in a worker costs in memory, from the largest worker's peak with
        /// one worker (all `numEnvs` environments) and with `workers` (⌈numEnvs / workers⌉ each): the
        /// difference of the medians over the difference in environments, so the interpreter and
        /// the simulator's libraries, which every worker holds once, cancel. Nil without both
        /// measurements or when both hold as many environments.
        public func bytesPerEnvironment(numEnvs: Int, workers: Int) -> Double? {
            let fewer = (numEnvs + workers - 1) / workers
            guard numEnvs > fewer, let one = peakWorkerBytes[1], let many = peakWorkerBytes[workers], !one.isEmpty, !many.isEmpty else { return nil }
            return (CompareBenchmark.median(one.map(Double.init)) - CompareBenchmark.median(many.map(Double.init))) / Double(numEnvs - fewer)
        }

        public func medianStepsPerSecond(_ s: Setup) -> Double? {
            secondsPerEnvStep[s].map { 1 / CompareBenchmark.median($0) }
        }

        /// a's s/step ÷ b's s/step in each repetition (both measured back to back).
        public func pairedRatios(_ a: Setup, over b: Setup) -> [Double]? {
            guard let x = secondsPerEnvStep[a], let y = secondsPerEnvStep[b], x.count == y.count, !x.isEmpty else { return nil }
            return zip(x, y).map { $0 / $1 }
        }

        /// Median over repetitions of `pairedRatios`.
        public func medianRatio(_ a: Setup, over b: Setup) -> Double? {
            pairedRatios(a, over: b).map(CompareBenchmark.median)
        }

        /// Extra time per env step of the bridge with one worker, relative to one plain Python loop.
        public var overheadAtOneWorker: Double? {
            medianRatio(.bridge(workers: 1), over: .plain(processes: 1)).map { $0 - 1 }
        }

        /// Throughput of the bridge at `workers` over its throughput at one worker.
        public func speedUp(workers: Int) -> Double? {
            medianRatio(.bridge(workers: 1), over: .bridge(workers: workers))
        }

        /// Throughput of `processes` independent plain loops over one: what the machine allows.
        public func ceiling(processes: Int) -> Double? {
            medianRatio(.plain(processes: 1), over: .plain(processes: processes))
        }
    }

    /// The action stream of every setup: steps × numEnvs × actionDim, uniform in [-1, 1].
    public func actions(actionDim: Int) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        return (0..<(steps * numEnvs * actionDim)).map { _ in rng.nextUniform(-1, 1) }
    }

    public func measure(_ setup: Setup, actions: [Float], actionsFile: URL) throws -> Measurement {
        switch setup {
        case .plain(let p): return Measurement(secondsPerEnvStep: try plainLoop(processes: p, actionsFile: actionsFile))
        case .bridge(let w): return try bridge(workers: w, actions: actions)
        }
    }

    /// Seconds per env step of `processes` plain Python loops stepping the shards side by side.
    public func plainLoop(processes: Int, actionsFile: URL) throws -> Double {
        let images = observation == .state ? [] : ["--image-size", "\(imageSize)"]
        let text = try PythonRuntime().forEnvironment(envID).run(["bench", "--env", envID, "--num-envs", "\(numEnvs)", "--steps", "\(steps)",
                                            "--seed", "\(seed)", "--processes", "\(processes)", "--actions", actionsFile.path] + images)
        guard let line = text.split(separator: "\n").last,
              let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let spe = o["seconds_per_env_step"] as? Double else {
            throw BridgeError.malformedMessage("python -m flowtune_bridge bench printed: \(text.prefix(300))")
        }
        return spe
    }

    /// Seconds per env step through the bridge with `workers` worker processes, and the workers'
    /// largest peak memory.
    public func bridge(workers: Int, actions: [Float]) throws -> Measurement {
        let env = try PythonBridgeEnv(id: envID, numEnvs: numEnvs, options: .init(observation: observation, imageSize: imageSize),
                                      configuration: .init(workers: workers))
        defer { env.close() }
        let ad = env.spec.actionDim
        guard actions.count == steps * numEnvs * ad else {
            throw BridgeError.malformedMessage("\(envID) has \(ad) action dimensions; the benchmark drew \(actions.count / (steps * numEnvs))")
        }
        try env.reset(seeds: (0..<numEnvs).map { seed &+ UInt64($0) })
        let start = DispatchTime.now().uptimeNanoseconds
        try actions.withUnsafeBufferPointer { all in
            for t in 0..<steps {
                try env.step(actions: UnsafeBufferPointer(rebasing: all[(t * numEnvs * ad)..<((t + 1) * numEnvs * ad)]))
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let peaks = env.workerPeakResidentBytes
        return Measurement(secondsPerEnvStep: seconds / Double(steps * numEnvs),
                           peakWorkerBytes: peaks.contains(nil) ? nil : peaks.compactMap { $0 }.max())
    }

    /// The worker counts measured: 1 first (the baseline of every ratio), then the others as given.
    public static func measuredWorkerCounts(_ requested: [Int]) -> [Int] {
        [1] + requested.filter { $0 != 1 }
    }

    /// The setups of one repetition, in the order they are measured: for each worker count, the plain
    /// reference immediately before the bridge.
    public static func setups(workerCounts: [Int]) -> [Setup] {
        measuredWorkerCounts(workerCounts).flatMap { [Setup.plain(processes: $0), .bridge(workers: $0)] }
    }

    /// Runs `body` with the action stream and the temporary Float32 file the plain loops read it from.
    public func withActions<T>(_ body: (_ actions: [Float], _ file: URL) throws -> T) throws -> T {
        let probe = try PythonBridgeEnv(id: envID, numEnvs: 1, configuration: .init(workers: 1))
        let actionDim = probe.spec.actionDim
        probe.close()
        let actions = actions(actionDim: actionDim)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flowtune-bench-bridge-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).f32")
        try actions.withUnsafeBytes { try Data($0).write(to: file) }  // little-endian on every platform FlowTune runs on
        defer { try? FileManager.default.removeItem(at: file) }
        return try body(actions, file)
    }

    public func run(workerCounts: [Int], progress: (Int) -> Void = { _ in }) throws -> Result {
        try withActions { actions, file in
            var seconds: [Setup: [Double]] = [:], peaks: [Int: [Int]] = [:]
            for rep in 0..<repetitions {
                for s in Self.setups(workerCounts: workerCounts) {
                    let m = try measure(s, actions: actions, actionsFile: file)
                    seconds[s, default: []].append(m.secondsPerEnvStep)
                    if case .bridge(let w) = s, let peak = m.peakWorkerBytes { peaks[w, default: []].append(peak) }
                }
                progress(rep + 1)
            }
            return Result(secondsPerEnvStep: seconds, peakWorkerBytes: peaks)
        }
    }
}
