import FlowEnvs
import FlowTensor
import Testing

@Suite struct DeterminismTests {
    /// Steps `env` with random actions from `actionSeed` and records every step's buffers.
    func trajectory(_ env: any VectorEnv, seeds s: [UInt64], actionSeed: UInt64, steps: Int) throws -> [StepRecord] {
        try env.reset(seeds: s)
        var rng = RandomGenerator(seed: actionSeed)
        var records = [StepRecord(env.buffers)]
        for _ in 0..<steps {
            try env.step(actions: randomActions(count: env.numEnvs * env.spec.actionDim, rng: &rng))
            records.append(StepRecord(env.buffers))
        }
        return records
    }

    @Test(arguments: BuiltinEnvironments.ids)
    func sameSeedsAndActionsGiveBitIdenticalTrajectories(id: String) throws {
        let a = try trajectory(BuiltinEnvironments.make(id: id, numEnvs: 12), seeds: seeds(12, offset: 40),
                               actionSeed: 9, steps: 400)
        let b = try trajectory(BuiltinEnvironments.make(id: id, numEnvs: 12), seeds: seeds(12, offset: 40),
                               actionSeed: 9, steps: 400)
        #expect(a == b)
        #expect(a.contains { $0.terminated.contains(true) || $0.truncated.contains(true) },
                "the run should cross at least one auto-reset")
    }

    @Test(arguments: BuiltinEnvironments.ids)
    func resettingAgainReplaysTheSameTrajectory(id: String) throws {
        let env = try BuiltinEnvironments.make(id: id, numEnvs: 6)
        let first = try trajectory(env, seeds: seeds(6, offset: 3), actionSeed: 1, steps: 200)
        let second = try trajectory(env, seeds: seeds(6, offset: 3), actionSeed: 1, steps: 200)
        #expect(first == second)
    }

    @Test(arguments: BuiltinEnvironments.ids)
    func differentSeedsGiveDifferentInitialStates(id: String) throws {
        let env = try BuiltinEnvironments.make(id: id, numEnvs: 10)
        try env.reset(seeds: [UInt64](repeating: 8, count: 10))
        let same = Array(env.buffers.observation(ofEnv: 0))
        try env.reset(seeds: seeds(10, offset: 100))
        let b = env.buffers
        // Multitask rows differ by task anyway; compare rows of the same task for the others.
        let rows = id == "multitask" ? [0] : Array(0..<10)
        var distinct = Set<[Float]>()
        for i in rows { distinct.insert(Array(b.observation(ofEnv: i))) }
        #expect(distinct.count == rows.count)
        #expect(!distinct.contains(same))
    }

    @Test(arguments: BuiltinEnvironments.ids)
    func environmentTrajectoryDoesNotDependOnOtherEnvironmentsSeedsOrActions(id: String) throws {
        // Env `pa` of batch A and env `pb` of batch B share a seed and an action stream; everything
        // else differs (batch size, neighbours' seeds and actions). Their records must match bit for bit.
        let multitask = id == "multitask"
        let nA = multitask ? 20 : 5, nB = multitask ? 30 : 9
        let pa = multitask ? 3 : 0, pb = multitask ? 23 : 6  // same task (3) in the suite
        let envA = try BuiltinEnvironments.make(id: id, numEnvs: nA)
        let envB = try BuiltinEnvironments.make(id: id, numEnvs: nB)
        var seedsA = seeds(nA, offset: 1000), seedsB = seeds(nB, offset: 5000)
        seedsA[pa] = 424_242
        seedsB[pb] = 424_242
        try envA.reset(seeds: seedsA)
        try envB.reset(seeds: seedsB)
        let dim = envA.spec.actionDim
        var shared = RandomGenerator(seed: 77), noiseA = RandomGenerator(seed: 1), noiseB = RandomGenerator(seed: 2)
        var endings = 0
        #expect(StepRecord(envA.buffers, rows: [pa]) == StepRecord(envB.buffers, rows: [pb]))
        for _ in 0..<500 {
            let mine = randomActions(count: dim, rng: &shared)
            var actionsA = randomActions(count: nA * dim, rng: &noiseA)
            var actionsB = randomActions(count: nB * dim, rng: &noiseB)
            for k in 0..<dim {
                actionsA[pa * dim + k] = mine[k]
                actionsB[pb * dim + k] = mine[k]
            }
            try envA.step(actions: actionsA)
            try envB.step(actions: actionsB)
            let ra = StepRecord(envA.buffers, rows: [pa]), rb = StepRecord(envB.buffers, rows: [pb])
            #expect(ra == rb)
            if ra != rb { break }
            if envA.buffers.isDone(pa) { endings += 1 }
        }
        #expect(endings >= 2, "the comparison should span auto-resets")
    }
}
