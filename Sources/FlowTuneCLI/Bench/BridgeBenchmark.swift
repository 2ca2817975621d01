import FlowEnvs
import FlowTensor
import Foundation

/// Stepping N simulator environments through the worker bridge against the same environments in a
/// plain Python loop in one process (`python -m flowtune_bridge bench`), measured in one run.
///
/// ```swift
/// let r = try BridgeBenchmark(envID: "metaworld/reach-v3", numEnvs: 8, steps: 500).run(workerCounts: [1, 2])
/// r.overheadAtOneWorker    // (bridge s/step − plain s/step) / plain s/step
/// ```
///
/// The plain loop is the floor a single Python process reaches: no second process, no protocol, no
/// Float32 conversion, the same suite code (`flowtune_bridge.suites`) and the same reset rule. The
/// bridge timing covers `step` only (after `reset`), i.e. send all actions, simulate, receive all
/// replies, auto-resets included. Actions are uniform in [-1, 1], drawn before timing.
struct BridgeBenchmark {
    var envID: String
    var numEnvs: Int
    var steps: Int
    var seed: UInt64 = 0

    struct Row {
        var workers: Int
        var stepsPerSecond: Double
        var secondsPerEnvStep: Double
    }

    struct Result {
        var plainStepsPerSecond: Double
        var plainSecondsPerEnvStep: Double
        var rows: [Row]

        /// Extra time per env step of the bridge with one worker, relative to the plain loop.
        var overheadAtOneWorker: Double? {
            rows.first { $0.workers == 1 }.map { $0.secondsPerEnvStep / plainSecondsPerEnvStep - 1 }
        }

        /// Throughput at `workers` over throughput at one worker.
        func speedUp(workers: Int) -> Double? {
            guard let one = rows.first(where: { $0.workers == 1 }), let p = rows.first(where: { $0.workers == workers }) else { return nil }
            return p.stepsPerSecond / one.stepsPerSecond
        }
    }

    func plainLoop() throws -> (stepsPerSecond: Double, secondsPerEnvStep: Double) {
        let text = try PythonRuntime().run(["bench", "--env", envID, "--num-envs", "\(numEnvs)", "--steps", "\(steps)", "--seed", "\(seed)"])
        guard let line = text.split(separator: "\n").last,
              let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let sps = o["env_steps_per_second"] as? Double, let spe = o["seconds_per_env_step"] as? Double else {
            throw BridgeError.malformedMessage("python -m flowtune_bridge bench printed: \(text.prefix(300))")
        }
        return (sps, spe)
    }

    func bridge(workers: Int) throws -> Row {
        let env = try PythonBridgeEnv(id: envID, numEnvs: numEnvs, configuration: .init(workers: workers))
        defer { env.close() }
        let ad = env.spec.actionDim
        var rng = RandomGenerator(seed: seed)
        let actions = (0..<(steps * numEnvs * ad)).map { _ in rng.nextUniform(-1, 1) }
        try env.reset(seeds: (0..<numEnvs).map { seed &+ UInt64($0) })
        let start = DispatchTime.now().uptimeNanoseconds
        try actions.withUnsafeBufferPointer { all in
            for t in 0..<steps {
                try env.step(actions: UnsafeBufferPointer(rebasing: all[(t * numEnvs * ad)..<((t + 1) * numEnvs * ad)]))
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let total = Double(steps * numEnvs)
        return Row(workers: env.workerCount, stepsPerSecond: total / seconds, secondsPerEnvStep: seconds / total)
    }

    func run(workerCounts: [Int]) throws -> Result {
        let plain = try plainLoop()
        let rows = try workerCounts.map { try bridge(workers: $0) }
        return Result(plainStepsPerSecond: plain.stepsPerSecond, plainSecondsPerEnvStep: plain.secondsPerEnvStep, rows: rows)
    }
}
