import FlowEnvs
import FlowTensor
import Testing

@Suite struct ReachObstaclePhysicsTests {
    /// Whether the agent in observation row `o` is strictly inside the obstacle (faces computed as
    /// centre ± half extent, exactly as the simulator rounds them).
    func insideObstacle(_ o: UnsafeBufferPointer<Float>) -> Bool {
        o[0] > o[4] - o[6] && o[0] < o[4] + o[6] && o[1] > o[5] - o[7] && o[1] < o[5] + o[7]
    }

    /// Drives every agent with a constant action and checks the obstacle is never entered.
    func driveConstant(_ action: (Float, Float), maxStep: Float) throws -> ReachObstacleEnv {
        let n = 64
        let env = ReachObstacleEnv(numEnvs: n, config: .init(maxEpisodeSteps: 1000, maxStep: maxStep))
        try env.reset(seeds: seeds(n))
        let actions = (0..<n).flatMap { _ in [action.0, action.1] }
        for _ in 0..<100 {
            try env.step(actions: actions)
            for i in 0..<n { #expect(!insideObstacle(env.buffers.observation(ofEnv: i))) }
        }
        return env
    }

    @Test func agentCannotTunnelThroughObstacleAtMaxSpeed() throws {
        // Straight up from below: every start lies under the obstacle, so every agent must end up
        // pressed against its bottom face, at the default speed and at a speed (0.5 per step) larger
        // than the obstacle's thickness.
        for maxStep: Float in [0.05, 0.5] {
            let env = try driveConstant((0, 1), maxStep: maxStep)
            for i in 0..<env.numEnvs {
                let o = env.buffers.observation(ofEnv: i)
                #expect(o[1] == o[5] - o[7], "env \(i) at maxStep \(maxStep): y = \(o[1]), bottom face at \(o[5] - o[7])")
            }
        }
    }

    @Test func agentSlidesAlongTheObstacleFaceInsteadOfStopping() throws {
        // Up and to the right at full speed: the agent slides along the bottom face, rounds the
        // corner and ends above the obstacle without ever entering it.
        let env = try driveConstant((0.3, 1), maxStep: 0.05)
        for i in 0..<env.numEnvs {
            let o = env.buffers.observation(ofEnv: i)
            #expect(o[1] > o[5] + o[7])
        }
    }

    @Test func agentStaysOnTheTable() throws {
        for action: (Float, Float) in [(-1, -1), (1, -1), (-1, 1), (1, 1)] {
            let env = try driveConstant(action, maxStep: 0.05)
            for v in env.buffers.observations { #expect(abs(v) <= 1) }
        }
    }

    @Test func goalStartAndObstacleAreRandomisedWithinTheirRegions() throws {
        let n = 200
        let env = ReachObstacleEnv(numEnvs: n)
        try env.reset(seeds: seeds(n))
        var startXs = Set<Float>()
        for i in 0..<n {
            let o = env.buffers.observation(ofEnv: i)
            startXs.insert(o[0])
            #expect(o[1] < o[5] - o[7], "start below the obstacle")
            #expect(o[3] > o[5] + o[7], "goal above the obstacle")
            #expect(abs(o[2] - o[4]) < o[6], "goal hidden behind the obstacle: both routes needed")
        }
        #expect(startXs.count == n)
    }

    @Test func touchingTheObstacleEndsTheEpisodeAsAFailureWhenConfigured() throws {
        let n = 32
        let env = ReachObstacleEnv(numEnvs: n, config: .init(terminateOnCollision: true))
        try env.reset(seeds: seeds(n))
        var ended = [Bool](repeating: false, count: n)
        for _ in 0..<40 {
            try env.step(actions: [Float](repeating: 0, count: 2 * n).enumerated().map { $0.offset % 2 == 1 ? 1 : 0 })
            for i in 0..<n where !ended[i] && env.buffers.isDone(i) {
                ended[i] = true
                #expect(env.buffers.terminated[i] && !env.buffers.success[i])
                let f = env.buffers.finalObservation(ofEnv: i)
                #expect(f[1] == f[5] - f[7], "the crash happened at the bottom face")
            }
        }
        #expect(ended.allSatisfy { $0 })
    }

    @Test func expertNeverTouchesTheObstacle() throws {
        let env = ReachObstacleEnv(numEnvs: 200, config: .init(terminateOnCollision: true))
        let expert = ReachObstacleExpert(env: env, seed: 8)
        let result = try firstEpisodes(env, expert: expert, seeds: seeds(200, offset: 500))
        let rate = Double(result.success.filter { $0 }.count) / 200
        #expect(rate >= 0.95, "expert success with crashes enabled: \(rate)")
    }
}
