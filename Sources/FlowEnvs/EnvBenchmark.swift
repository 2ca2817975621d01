import FlowTensor

/// Throughput of a built-in environment on the calling thread (what `flowtune bench envs` reports).
///
/// ```swift
/// let r = try EnvBenchmark.run(id: "push", numEnvs: 1024, steps: 2000)
/// print(r.stepsPerSecond)    // environment steps per second, auto-resets included
/// ```
///
/// Only `step` calls are timed. With `.random` actions (the default) the actions are uniform in
/// [-1, 1], drawn before timing into a few batches that are cycled, so the number measures the
/// simulator alone; episodes end by time limit or chance and auto-reset inside the timed region.
/// With `.expert` the scripted expert's `act` is timed too (the cost of collecting demonstrations).
public enum EnvBenchmark {
    public enum ActionSource: Sendable, Equatable {
        case random
        case expert
    }

    public struct Result: Sendable, Equatable {
        public var id: String
        public var numEnvs: Int
        public var steps: Int
        /// numEnvs × steps.
        public var totalEnvSteps: Int
        public var seconds: Double
        public var stepsPerSecond: Double
        /// Episodes that ended (terminated or truncated) during the run.
        public var episodesFinished: Int
        /// Episodes that ended in success.
        public var successes: Int
    }

    public static func run(id: String, numEnvs: Int = 1024, steps: Int = 1000, seed: UInt64 = 0,
                           actions source: ActionSource = .random) throws -> Result {
        let env = try BuiltinEnvironments.make(id: id, numEnvs: numEnvs)
        let dim = env.spec.actionDim
        try env.reset(seeds: (0..<numEnvs).map { seed &+ UInt64($0) })
        let batches = 8
        var rng = RandomGenerator(seed: seed)
        var actions = [Float](repeating: 0, count: numEnvs * dim * batches)
        for k in actions.indices { actions[k] = rng.nextUniform(-1, 1) }
        let expert = source == .expert ? try BuiltinEnvironments.makeExpert(for: env, seed: seed) : nil
        var expertActions = [Float](repeating: 0, count: numEnvs * dim)
        let clock = ContinuousClock()
        var elapsed = Duration.zero
        var finished = 0, successes = 0
        let b = env.buffers
        try actions.withUnsafeBufferPointer { all in
            try expertActions.withUnsafeMutableBufferPointer { ea in
                for t in 0..<steps {
                    let start = clock.now
                    if let expert {
                        expert.act(b, into: ea)
                        try env.step(actions: UnsafeBufferPointer(ea))
                    } else {
                        let k = t % batches
                        try env.step(actions: UnsafeBufferPointer(rebasing: all[(k * numEnvs * dim)..<((k + 1) * numEnvs * dim)]))
                    }
                    elapsed += clock.now - start
                    for i in 0..<numEnvs where b.terminated[i] || b.truncated[i] {
                        finished += 1
                        if b.success[i] { successes += 1 }
                    }
                }
            }
        }
        let c = elapsed.components
        let seconds = Double(c.seconds) + Double(c.attoseconds) * 1e-18
        let total = numEnvs * steps
        return Result(id: try BuiltinEnvironments.canonicalID(id), numEnvs: numEnvs, steps: steps, totalEnvSteps: total,
                      seconds: seconds, stepsPerSecond: seconds > 0 ? Double(total) / seconds : .infinity,
                      episodesFinished: finished, successes: successes)
    }
}
