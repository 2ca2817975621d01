import FlowEnvs
import FlowTensor
import Testing

/// Top-down frames of the built-in tasks: deterministic, and showing the objects where the
/// observation says they are.
@Suite struct RenderingTests {
    static let size = 64

    func frames(_ env: any VectorEnv, size: Int = size) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: env.numEnvs * size * size * 3)
        out.withUnsafeMutableBufferPointer { (env as! any FrameRendering).renderFrames(size: size, into: $0) }
        return out
    }

    /// Resets `n` environments and takes `steps` random steps.
    func run(_ id: String, n: Int = 8, steps: Int = 25, seed: UInt64 = 0) throws -> any VectorEnv {
        let env = try BuiltinEnvironments.make(id: id, numEnvs: n)
        try env.reset(seeds: (0..<n).map { seed + UInt64($0) })
        var rng = RandomGenerator(seed: seed)
        for _ in 0..<steps { try env.step(actions: randomActions(count: n * env.spec.actionDim, rng: &rng)) }
        return env
    }

    /// The colour of frame `i`'s pixel under world point (x, y).
    func pixel(_ f: [UInt8], _ i: Int, x: Float, y: Float, size: Int = size) -> [UInt8] {
        let column = min(size - 1, max(0, Int((x + 1) / 2 * Float(size)))), row = min(size - 1, max(0, Int((1 - y) / 2 * Float(size))))
        let p = ((i * size + row) * size + column) * 3
        return Array(f[p..<(p + 3)])
    }

    @Test(arguments: BuiltinEnvironments.ids)
    func theSameSeedsAndActionsGiveTheSameFramesAndDifferentEpisodesDifferentOnes(id: String) throws {
        let a = frames(try run(id)), b = frames(try run(id))
        #expect(a == b)
        let bytes = Self.size * Self.size * 3
        #expect(Array(a[0..<bytes]) != Array(a[bytes..<(2 * bytes)]), "two episodes look alike")
        #expect(frames(try run(id, seed: 5)) != a)
    }

    @Test func theReachAgentAndThePushPusherAreDrawnWhereTheObservationPutsThem() throws {
        for id in ["reach-obstacle", "push"] {
            let env = try run(id)
            let f = frames(env), o = env.buffers.observations, d = env.buffers.observationDim
            for i in 0..<env.numEnvs {
                // Both tasks observe the moving body's (x, y) first; it is drawn last, on top.
                #expect(pixel(f, i, x: o[i * d], y: o[i * d + 1]) == [30, 90, 210], "\(id) env \(i)")
            }
        }
    }

    @Test func thePushBlockIsDrawnAtItsPosition() throws {
        let env = try run("push")
        let f = frames(env), o = env.buffers.observations, d = env.buffers.observationDim
        for i in 0..<env.numEnvs {
            let (px, py, bx, by) = (o[i * d], o[i * d + 1], o[i * d + 2], o[i * d + 3])
            if ((px - bx) * (px - bx) + (py - by) * (py - by)).squareRoot() < 0.15 { continue }   // the pusher covers it
            #expect(pixel(f, i, x: bx, y: by) == [210, 60, 50], "env \(i)")
        }
    }

    @Test func thePickPlaceCubeIsRedAroundItsPositionAndBrighterWhenLifted() throws {
        let env = try BuiltinEnvironments.make(id: "pick-place", numEnvs: 16)
        try env.reset(seeds: (0..<16).map { UInt64($0) })
        let expert = try BuiltinEnvironments.makeExpert(for: env, seed: 0)
        var actions = [Float](repeating: 0, count: 16 * env.spec.actionDim)
        var lifted = false
        for _ in 0..<60 {
            actions.withUnsafeMutableBufferPointer { expert.act(env.buffers, into: $0) }
            try env.step(actions: actions)
            let f = frames(env), o = env.buffers.observations, d = env.buffers.observationDim
            for i in 0..<16 {
                // The cube's pixels: red the strongest channel; their centroid must be near (cube_x, cube_y).
                var sx: Float = 0, sy: Float = 0, n: Float = 0, brightest: UInt8 = 0
                for row in 0..<Self.size {
                    for column in 0..<Self.size {
                        let p = ((i * Self.size + row) * Self.size + column) * 3
                        let (r, g, b) = (Int(f[p]), Int(f[p + 1]), Int(f[p + 2]))
                        if r > 120 && r > g + 60 && r > b + 60 {
                            sx += (Float(column) + 0.5) / 32 - 1
                            sy += 1 - (Float(row) + 0.5) / 32
                            n += 1
                            brightest = max(brightest, f[p])
                        }
                    }
                }
                #expect(n >= 2, "env \(i): the cube is hidden")
                guard n > 0 else { continue }
                let cx = o[i * d + 5], cy = o[i * d + 6], cz = o[i * d + 7]
                #expect(abs(sx / n - cx) < 0.08 && abs(sy / n - cy) < 0.08, "env \(i): cube pixels centred at (\(sx / n), \(sy / n)), cube at (\(cx), \(cy))")
                if cz > 0.1 {
                    lifted = true
                    #expect(brightest > 210 * 7 / 10 + 60, "env \(i): a lifted cube is drawn brighter")
                }
            }
        }
        #expect(lifted, "the expert lifts some cube within 60 steps")
    }

    @Test func framesFollowTheObservationsAcrossAnAutoReset() throws {
        // After a step that ended an episode the frame shows the next episode's first state, as
        // `observations` does: rendering a fresh environment reset to that episode's seed gives the same bytes.
        let env = try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: 4)
        try env.reset(seeds: [1, 2, 3, 4])
        var rng = RandomGenerator(seed: 2)
        for _ in 0..<400 {
            try env.step(actions: randomActions(count: 4 * env.spec.actionDim, rng: &rng))
            guard let i = (0..<4).first(where: { env.buffers.isDone($0) }) else { continue }
            let fresh = try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: 1)
            try fresh.reset(seeds: [env.buffers.episodeSeeds[i]])
            let bytes = Self.size * Self.size * 3
            #expect(Array(frames(env)[(i * bytes)..<((i + 1) * bytes)]) == frames(fresh))
            return
        }
        Issue.record("no episode ended in 400 random steps")
    }

    @Test func renderingBenchmarkCountsFrames() throws {
        let fps = try RenderBenchmark.framesPerSecond(id: "multitask", numEnvs: 8, size: 64, renders: 3)
        #expect(fps.isFinite && fps > 0)
    }
}
