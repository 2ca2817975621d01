import FlowEnvs
import FlowTensor
import Testing

@Suite struct AutoResetTests {
    /// The first observation of a fresh one-environment copy (running `task`) reset with `seed`.
    func firstObservation(id: String, seed: UInt64, task: Int = 0) throws -> [Float] {
        let single: any VectorEnv = id == "multitask"
            ? MultiTaskEnv(numEnvs: 1, config: .init(taskAssignment: [task]))
            : try BuiltinEnvironments.make(id: id, numEnvs: 1)
        try single.reset(seeds: [seed])
        return Array(single.buffers.observation(ofEnv: 0))
    }

    @Test func truncatedEnvironmentReportsFinalObservationAndStartsItsNextEpisodeInTheSameStep() throws {
        // Zero actions never move the reach agent, so the final observation equals the first one.
        let env = try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: 4)
        try env.reset(seeds: seeds(4, offset: 10))
        let initial = Array(env.buffers.observations)
        let zeros = [Float](repeating: 0, count: 4 * env.spec.actionDim)
        for t in 1...env.spec.maxEpisodeSteps {
            try env.step(actions: zeros)
            let last = t == env.spec.maxEpisodeSteps
            for i in 0..<4 {
                #expect(env.buffers.truncated[i] == last)
                #expect(!env.buffers.terminated[i])
                #expect(env.buffers.episodeSteps[i] == (last ? 0 : Int32(t)))
            }
        }
        let b = env.buffers
        #expect(Array(b.finalObservations) == initial)
        for i in 0..<4 {
            #expect(b.episodeSeeds[i] != UInt64(10 + i))
            let next = try firstObservation(id: "reach-obstacle", seed: b.episodeSeeds[i])
            #expect(Array(b.observation(ofEnv: i)) == next)
            #expect(Array(b.observation(ofEnv: i)) != Array(b.finalObservation(ofEnv: i)))
        }
    }

    @Test(arguments: BuiltinEnvironments.ids)
    func successfulEnvironmentIsAutoResetFromItsSeedStream(id: String) throws {
        let n = 16
        let env = try BuiltinEnvironments.make(id: id, numEnvs: n)
        let expert = try BuiltinEnvironments.makeExpert(for: env, seed: 5)
        try env.reset(seeds: seeds(n))
        var actions = [Float](repeating: 0, count: n * env.spec.actionDim)
        var checked = 0
        for _ in 0..<(3 * env.spec.maxEpisodeSteps) {
            expert.act(env.buffers, into: &actions)
            try env.step(actions: actions)
            let b = env.buffers
            for i in 0..<n where b.terminated[i] {
                #expect(b.success[i] && !b.truncated[i])
                #expect(b.episodeSteps[i] == 0)
                #expect(b.rewards[i] >= 1)
                let fresh = try firstObservation(id: id, seed: b.episodeSeeds[i], task: env.taskIndex(forEnv: i))
                #expect(Array(b.observation(ofEnv: i)) == fresh, "env \(i): observation after the end is the next episode's first")
                #expect(Array(b.finalObservation(ofEnv: i)) != fresh)
                checked += 1
            }
        }
        #expect(checked >= n, "expected every environment to finish at least one episode, saw \(checked) endings")
    }

    @Test func finalObservationOfASuccessfulReachShowsTheAgentAtTheGoal() throws {
        let env = ReachObstacleEnv(numEnvs: 8)
        let expert = ReachObstacleExpert(env: env, seed: 2)
        try env.reset(seeds: seeds(8))
        var actions = [Float](repeating: 0, count: 16)
        var seen = 0
        for _ in 0..<env.spec.maxEpisodeSteps {
            expert.act(env.buffers, into: &actions)
            try env.step(actions: actions)
            for i in 0..<8 where env.buffers.success[i] {
                let f = env.buffers.finalObservation(ofEnv: i)
                let distance = ((f[0] - f[2]) * (f[0] - f[2]) + (f[1] - f[3]) * (f[1] - f[3])).squareRoot()
                #expect(distance < env.config.goalTolerance)
                let o = env.buffers.observation(ofEnv: i)
                #expect(o[1] < -0.6, "the next episode starts below the obstacle")
                seen += 1
            }
        }
        #expect(seen == 8)
    }

    @Test func episodeSeedsDependOnlyOnTheEnvironmentsOwnSeed() throws {
        // Env 2 of a batch and env 0 of a single copy share seed 77: the seeds of their later
        // episodes must agree although episodes end at different times in the batch.
        let batch = try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: 3)
        let single = try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: 1)
        try batch.reset(seeds: [5, 6, 77])
        try single.reset(seeds: [77])
        var rng = RandomGenerator(seed: 3)
        var batchSeeds: [UInt64] = [], singleSeeds: [UInt64] = []
        for _ in 0..<400 {
            var a = randomActions(count: 6, rng: &rng)
            try batch.step(actions: a)
            a = Array(a[4..<6])
            try single.step(actions: a)
            if batch.buffers.isDone(2) { batchSeeds.append(batch.buffers.episodeSeeds[2]) }
            if single.buffers.isDone(0) { singleSeeds.append(single.buffers.episodeSeeds[0]) }
        }
        #expect(batchSeeds.count >= 5)
        #expect(batchSeeds == singleSeeds)
        #expect(Set(batchSeeds).count == batchSeeds.count)
    }

    @Test func resetClearsFlagsRewardsCountersAndInvalidActionCounts() throws {
        let env = try BuiltinEnvironments.make(id: "push", numEnvs: 2)
        try env.reset(seeds: [1, 2])
        try env.step(actions: [Float.nan, 0, 1, 1])
        #expect(env.buffers.invalidActionCounts[0] == 1)
        try env.reset(seeds: [1, 2])
        let b = env.buffers
        for i in 0..<2 {
            #expect(b.rewards[i] == 0 && !b.terminated[i] && !b.truncated[i] && !b.success[i])
            #expect(b.episodeSteps[i] == 0 && b.invalidActionCounts[i] == 0)
        }
        #expect(Array(b.episodeSeeds) == [1, 2])
    }
}
