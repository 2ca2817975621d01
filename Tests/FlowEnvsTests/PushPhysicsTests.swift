import FlowEnvs
import FlowTensor
import Testing

@Suite struct PushPhysicsTests {
    let halfExtents = PushEnv.Config().blockHalfExtents
    let radius = PushEnv.Config().pusherRadius

    /// Full-speed action (largest component ±1) from the pusher towards `(x, y)`.
    func fullSpeed(from o: UnsafeBufferPointer<Float>, to x: Float, _ y: Float) -> [Float] {
        let dx = x - o[0], dy = y - o[1]
        let m = max(abs(dx), abs(dy), 1e-6)
        return [dx / m, dy / m]
    }

    func blockPose(_ o: UnsafeBufferPointer<Float>) -> [Float] { [o[2], o[3], o[4], o[5]] }

    @Test(arguments: [1, 4])
    func pusherCannotTunnelThroughBlockAtMaxSpeed(substeps: Int) throws {
        // Ram the block's centre at full speed for 40 steps: the block must be shoved ahead, the
        // pusher never gets inside it, and it never comes out on the far side.
        let n = 64
        let env = PushEnv(numEnvs: n, config: .init(maxEpisodeSteps: 1000, substeps: substeps))
        try env.reset(seeds: seeds(n))
        var moved = 0
        let start = (0..<n).map { blockPose(env.buffers.observation(ofEnv: $0)) }
        for _ in 0..<40 {
            var actions: [Float] = []
            for i in 0..<n {
                let o = env.buffers.observation(ofEnv: i)
                actions += fullSpeed(from: o, to: o[2], o[3])
            }
            try env.step(actions: actions)
            for i in 0..<n {
                let o = env.buffers.isDone(i) ? env.buffers.finalObservation(ofEnv: i) : env.buffers.observation(ofEnv: i)
                let d = blockSignedDistance(x: o[0], y: o[1], obs: o, halfExtents: halfExtents)
                #expect(d >= radius - 2e-3, "env \(i): pusher centre \(d) from the block, radius \(radius)")
            }
        }
        for i in 0..<n where blockPose(env.buffers.observation(ofEnv: i)) != start[i] { moved += 1 }
        #expect(moved == n, "every block should have been pushed")
    }

    @Test func blockDoesNotMoveUnlessTouched() throws {
        // Random actions: whenever the block's pose changes in a step, the pusher must end that
        // step within one step's travel of contact; otherwise the pose is bit-identical.
        let n = 128
        let env = PushEnv(numEnvs: n, config: .init(maxEpisodeSteps: 100_000))
        try env.reset(seeds: seeds(n))
        var rng = RandomGenerator(seed: 17)
        let reach = radius + 0.05 * Float(2).squareRoot()
        var touches = 0, still = 0
        for _ in 0..<300 {
            let before = (0..<n).map { blockPose(env.buffers.observation(ofEnv: $0)) }
            try env.step(actions: randomActions(count: 2 * n, rng: &rng))
            for i in 0..<n where !env.buffers.isDone(i) {
                let o = env.buffers.observation(ofEnv: i)
                if blockPose(o) != before[i] {
                    touches += 1
                    #expect(blockSignedDistance(x: o[0], y: o[1], obs: o, halfExtents: halfExtents) <= reach)
                } else {
                    still += 1
                }
            }
        }
        #expect(touches > 0 && still > 0)
    }

    @Test func blockStaysPutWhilePusherMovesAway() throws {
        let n = 64
        let env = PushEnv(numEnvs: n)
        try env.reset(seeds: seeds(n))
        let start = (0..<n).map { blockPose(env.buffers.observation(ofEnv: $0)) }
        for _ in 0..<50 {
            var actions: [Float] = []
            for i in 0..<n {
                let o = env.buffers.observation(ofEnv: i)
                actions += fullSpeed(from: o, to: o[2], o[3]).map { -$0 }
            }
            try env.step(actions: actions)
        }
        for i in 0..<n { #expect(blockPose(env.buffers.observation(ofEnv: i)) == start[i]) }
    }

    @Test func blockPushedOffTheTableTerminatesWithoutSuccess() throws {
        // Get behind the block (from the −x side, going around above it) and push along +x until
        // it leaves the table.
        let n = 32
        let env = PushEnv(numEnvs: n, config: .init(maxEpisodeSteps: 400))
        try env.reset(seeds: seeds(n))
        var fell = [Bool](repeating: false, count: n)
        var finished = [Bool](repeating: false, count: n)
        for _ in 0..<400 {
            var actions: [Float] = []
            for i in 0..<n {
                let o = env.buffers.observation(ofEnv: i)
                let (px, py, bx, by) = (o[0], o[1], o[2], o[3])
                if finished[i] {
                    actions += [0, 0]
                } else if px < bx && abs(py - by) < 0.03 {
                    actions += [1, max(-1, min(1, (by - py) / 0.05))]
                } else if px < bx - 0.25 {
                    actions += fullSpeed(from: o, to: bx - 0.3, by)
                } else if abs(py - by) < 0.3 {
                    actions += fullSpeed(from: o, to: px, by + (py >= by ? 0.35 : -0.35))
                } else {
                    actions += fullSpeed(from: o, to: bx - 0.3, py)
                }
            }
            try env.step(actions: actions)
            for i in 0..<n where !finished[i] && env.buffers.isDone(i) {
                finished[i] = true
                let f = env.buffers.finalObservation(ofEnv: i)
                if env.buffers.terminated[i] && !env.buffers.success[i] {
                    fell[i] = true
                    #expect(abs(f[2]) > 1 || abs(f[3]) > 1, "a failure termination means the block left the table")
                }
            }
        }
        let count = fell.filter { $0 }.count
        #expect(count >= n / 2, "only \(count) of \(n) blocks were pushed off")
    }
}
