import FlowEnvs
import FlowTensor
import Testing

@Suite struct PickPlacePhysicsTests {
    let config = PickPlaceEnv.Config()

    func horizontalDistance(_ o: UnsafeBufferPointer<Float>) -> Float {
        ((o[0] - o[5]) * (o[0] - o[5]) + (o[1] - o[6]) * (o[1] - o[6])).squareRoot()
    }

    /// Action towards (x, y, z) with the given grip, at most full speed per axis.
    func toward(_ o: UnsafeBufferPointer<Float>, _ x: Float, _ y: Float, _ z: Float, grip: Float) -> [Float] {
        [max(-1, min(1, (x - o[0]) / config.maxStepXY)), max(-1, min(1, (y - o[1]) / config.maxStepXY)),
         max(-1, min(1, (z - o[2]) / config.maxStepZ)), grip]
    }

    @Test func cubeDoesNotMoveUnlessGrasped() throws {
        // Random actions: while the cube is neither grasped nor falling, its position is bit-identical.
        let n = 128
        let env = PickPlaceEnv(numEnvs: n, config: .init(maxEpisodeSteps: 100_000))
        try env.reset(seeds: seeds(n))
        var rng = RandomGenerator(seed: 31)
        var grasps = 0
        for _ in 0..<400 {
            let before = (0..<n).map { Array(env.buffers.observation(ofEnv: $0)) }
            try env.step(actions: randomActions(count: 4 * n, rng: &rng))
            for i in 0..<n where !env.buffers.isDone(i) {
                let o = env.buffers.observation(ofEnv: i)
                if o[4] == 1 { grasps += 1 }
                if before[i][4] == 0 && o[4] == 0 && before[i][7] == 0 {
                    #expect(Array(o[5...7]) == Array(before[i][5...7]))
                }
            }
        }
        _ = grasps
    }

    @Test func fingersCannotPassThroughTheCubeAtMaxSpeed() throws {
        // Lower the open gripper to the table 0.2 to the side of the cube, then sweep through the
        // cube at full speed: the fingers stop at the clearance circle and never reach the far side.
        let n = 32
        let env = PickPlaceEnv(numEnvs: n, config: .init(maxEpisodeSteps: 1000))
        try env.reset(seeds: seeds(n))
        for _ in 0..<40 {
            var actions: [Float] = []
            for i in 0..<n {
                let o = env.buffers.observation(ofEnv: i)
                let aboveSide = abs(o[0] - (o[5] + 0.2)) < 1e-3 && abs(o[1] - o[6]) < 1e-3
                actions += toward(o, o[5] + 0.2, o[6], aboveSide ? 0 : 0.15, grip: -1)
            }
            try env.step(actions: actions)
        }
        for i in 0..<n { #expect(env.buffers.observation(ofEnv: i)[2] == 0) }
        for _ in 0..<20 {
            try env.step(actions: (0..<n).flatMap { _ in [Float(-1), 0, 0, -1] })
            for i in 0..<n {
                let o = env.buffers.observation(ofEnv: i)
                #expect(horizontalDistance(o) >= config.fingerClearance - 1e-4)
                #expect(o[0] > o[5], "env \(i) crossed the cube")
            }
        }
    }

    @Test func fingersNeverOverlapTheCubeUnderRandomActions() throws {
        // Below the cube's top, an ungrasped gripper is either centred on the cube or outside the
        // clearance circle, never in between.
        let n = 128
        let env = PickPlaceEnv(numEnvs: n, config: .init(maxEpisodeSteps: 100_000))
        try env.reset(seeds: seeds(n))
        var rng = RandomGenerator(seed: 5)
        var lowSteps = 0
        for _ in 0..<400 {
            var actions = randomActions(count: 4 * n, rng: &rng)
            for i in 0..<n { actions[4 * i + 2] = actions[4 * i + 2] - 0.3 }  // bias downwards
            try env.step(actions: actions)
            for i in 0..<n where !env.buffers.isDone(i) {
                let o = env.buffers.observation(ofEnv: i)
                guard o[4] == 0, o[7] == 0, o[2] < o[7] + config.cubeHeight else { continue }
                lowSteps += 1
                let d = horizontalDistance(o)
                #expect(d < config.graspTolerance + 1e-5 || d >= config.fingerClearance - 1e-4, "d = \(d)")
            }
        }
        #expect(lowSteps > 100)
    }

    @Test func misalignedDescentLandsOnTopOfTheCube() throws {
        let n = 32
        let env = PickPlaceEnv(numEnvs: n, config: .init(maxEpisodeSteps: 1000))
        try env.reset(seeds: seeds(n))
        for _ in 0..<40 {
            var actions: [Float] = []
            for i in 0..<n {
                let o = env.buffers.observation(ofEnv: i)
                let above = abs(o[0] - (o[5] + 0.04)) < 1e-3 && abs(o[1] - o[6]) < 1e-3
                actions += toward(o, o[5] + 0.04, o[6], above ? 0 : 0.15, grip: -1)
            }
            try env.step(actions: actions)
        }
        for i in 0..<n {
            let o = env.buffers.observation(ofEnv: i)
            #expect(o[2] == config.cubeHeight, "env \(i): the fingers rest on the cube's top")
            #expect(o[7] == 0)
        }
    }

    @Test func closingAwayFromTheCubeGraspsNothing() throws {
        let n = 16
        let env = PickPlaceEnv(numEnvs: n)
        try env.reset(seeds: seeds(n))
        let start = (0..<n).map { Array(env.buffers.observation(ofEnv: $0)[5...7]) }
        for _ in 0..<5 { try env.step(actions: (0..<n).flatMap { _ in [Float(0), 0, -1, 1] }) }
        for i in 0..<n {
            let o = env.buffers.observation(ofEnv: i)
            #expect(o[3] == 0 && o[4] == 0, "fingers closed on nothing")
            #expect(Array(o[5...7]) == start[i])
        }
    }

    @Test func centredGraspLiftsAndReleasedCubeFallsToTheTable() throws {
        let n = 16
        let env = PickPlaceEnv(numEnvs: n, config: .init(maxEpisodeSteps: 1000))
        try env.reset(seeds: seeds(n))
        // Centre above the cube, descend, close.
        for _ in 0..<40 {
            var actions: [Float] = []
            for i in 0..<n {
                let o = env.buffers.observation(ofEnv: i)
                let centred = horizontalDistance(o) < 1e-3
                let low = o[2] < 0.01
                actions += toward(o, o[5], o[6], centred ? 0.005 : 0.15, grip: centred && low ? 1 : -1)
            }
            try env.step(actions: actions)
        }
        for i in 0..<n { #expect(env.buffers.observation(ofEnv: i)[4] == 1, "env \(i) grasped") }
        // Lift: the cube comes along.
        for _ in 0..<5 { try env.step(actions: (0..<n).flatMap { _ in [Float(0), 0, 1, 1] }) }
        let lifted = (0..<n).map { Array(env.buffers.observation(ofEnv: $0)) }
        for o in lifted { #expect(o[7] > 0.1 && o[4] == 1) }
        // Open: the cube drops straight down and comes to rest on the table.
        var landed = [Bool](repeating: false, count: n)
        for _ in 0..<10 {
            try env.step(actions: (0..<n).flatMap { _ in [Float(0), 0, 0, -1] })
            for i in 0..<n {
                let o = env.buffers.observation(ofEnv: i)
                #expect(o[4] == 0)
                #expect(o[5] == lifted[i][5] && o[6] == lifted[i][6])
                if o[7] == 0 { landed[i] = true } else { #expect(!landed[i]) }
            }
        }
        #expect(landed.allSatisfy { $0 })
    }
}
