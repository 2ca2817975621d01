import FlowTensor

/// Rendering throughput of a built-in environment on the calling thread (a column of `flowtune
/// bench envs`): frames per second of `renderFrames`, timed alone, with random steps in between so
/// that the scenes vary.
///
/// ```swift
/// let fps = try RenderBenchmark.framesPerSecond(id: "push", numEnvs: 256, size: 64, renders: 50)
/// ```
public enum RenderBenchmark {
    public static func framesPerSecond(id: String, numEnvs: Int = 256, size: Int = 64, renders: Int = 50,
                                       seed: UInt64 = 0) throws -> Double {
        let env = try BuiltinEnvironments.make(id: id, numEnvs: numEnvs)
        guard let renderer = env as? any FrameRendering else { throw BuiltinEnvironments.Error.unknownID(id, valid: BuiltinEnvironments.ids) }
        try env.reset(seeds: (0..<numEnvs).map { seed &+ UInt64($0) })
        var rng = RandomGenerator(seed: seed)
        var actions = [Float](repeating: 0, count: numEnvs * env.spec.actionDim)
        var frames = [UInt8](repeating: 0, count: numEnvs * size * size * 3)
        let clock = ContinuousClock()
        var elapsed = Duration.zero
        for _ in 0..<renders {
            for k in actions.indices { actions[k] = rng.nextUniform(-1, 1) }
            try env.step(actions: actions)
            let start = clock.now
            frames.withUnsafeMutableBufferPointer { renderer.renderFrames(size: size, into: $0) }
            elapsed += clock.now - start
        }
        return Double(numEnvs * renders) / EnvBenchmark.seconds(elapsed)
    }
}
