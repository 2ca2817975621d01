import FlowTensor

/// Throughput of a built-in environment on the calling thread (what `flowtune bench envs` reports).
///
/// ```swift
/// let r = try EnvBenchmark.run(id: "push", numEnvs: 1024, steps: 2000)
/// print(r.stepsPerSecond)    // environment steps per second, auto-resets included
/// ```
///
/// `stepsPerSecond` times only `step` calls (the simulator, auto-resets included). With `.random`
/// actions (the default) the actions are uniform in [-1, 1], drawn before timing into a few batches
/// that are cycled. With `.expert` the scripted expert drives the environments, which keeps them in
/// the expensive regime (constant contact, grasps, successes and resets); its `act` calls are timed
/// separately in `expertSeconds`, and `stepsPerSecondWithExpert` is the demonstration-collection rate.
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
        /// Time spent in `step`.
        public var seconds: Double
        /// totalEnvSteps / seconds: simulator throughput.
        public var stepsPerSecond: Double
        /// Time spent in the expert's `act` (0 with random actions).
        public var expertSeconds: Double
        /// totalEnvSteps / (seconds + expertSeconds).
        public var stepsPerSecondWithExpert: Double
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
        var elapsed = Duration.zero, expertElapsed = Duration.zero
        var finished = 0, successes = 0
        let b = env.buffers
        try actions.withUnsafeBufferPointer { all in
            try expertActions.withUnsafeMutableBufferPointer { ea in
                for t in 0..<steps {
                    if let expert {
                        let acting = clock.now
                        expert.act(b, into: ea)
                        let start = clock.now
                        expertElapsed += start - acting
                        try env.step(actions: UnsafeBufferPointer(ea))
                        elapsed += clock.now - start
                    } else {
                        let k = t % batches
                        let start = clock.now
                        try env.step(actions: UnsafeBufferPointer(rebasing: all[(k * numEnvs * dim)..<((k + 1) * numEnvs * dim)]))
                        elapsed += clock.now - start
                    }
                    for i in 0..<numEnvs where b.terminated[i] || b.truncated[i] {
                        finished += 1
                        if b.success[i] { successes += 1 }
                    }
                }
            }
        }
        let seconds = Self.seconds(elapsed), expertSeconds = Self.seconds(expertElapsed)
        let total = numEnvs * steps
        return Result(id: try BuiltinEnvironments.canonicalID(id), numEnvs: numEnvs, steps: steps, totalEnvSteps: total,
                      seconds: seconds, stepsPerSecond: seconds > 0 ? Double(total) / seconds : .infinity,
                      expertSeconds: expertSeconds,
                      stepsPerSecondWithExpert: seconds + expertSeconds > 0 ? Double(total) / (seconds + expertSeconds) : .infinity,
                      episodesFinished: finished, successes: successes)
    }

    /// A measured duration in seconds (also `RenderBenchmark`'s).
    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
