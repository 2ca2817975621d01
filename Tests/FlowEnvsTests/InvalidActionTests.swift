import FlowEnvs
import FlowTensor
import Testing

@Suite struct InvalidActionTests {
    func make(_ id: String, _ n: Int, _ policy: InvalidActionPolicy = .zeroAndCount) throws -> any VectorEnv {
        try BuiltinEnvironments.make(id: id, numEnvs: n, options: .init(invalidActionPolicy: policy))
    }

    @Test(arguments: BuiltinEnvironments.ids)
    func nonFiniteComponentsAreTreatedAsZeroAndCounted(id: String) throws {
        let n = 4
        let bad = try make(id, n), reference = try make(id, n)
        try bad.reset(seeds: seeds(n))
        try reference.reset(seeds: seeds(n))
        let dim = bad.spec.actionDim
        var rng = RandomGenerator(seed: 12)
        let poison: [Float] = [.nan, .infinity, -.infinity, -.nan]
        for t in 0..<150 {
            var actions = randomActions(count: n * dim, rng: &rng)
            var cleaned = actions
            // Env 1 gets a non-finite value in one component every step, env 3 every other step.
            let k = t % dim
            actions[1 * dim + k] = poison[t % poison.count]
            cleaned[1 * dim + k] = 0
            if t % 2 == 0 {
                actions[3 * dim] = .nan
                cleaned[3 * dim] = 0
            }
            try bad.step(actions: actions)
            try reference.step(actions: cleaned)
            #expect(StepRecord(bad.buffers) == StepRecord(reference.buffers))
        }
        #expect(Array(bad.buffers.invalidActionCounts) == [0, 150, 0, 75])
        #expect(Array(reference.buffers.invalidActionCounts) == [0, 0, 0, 0])
        #expect(!bad.buffers.observations.contains { !$0.isFinite }, "no NaN or inf reaches the state")
    }

    @Test(arguments: BuiltinEnvironments.ids)
    func outOfBoundsActionsAreClippedToTheBounds(id: String) throws {
        let n = 4
        let wild = try make(id, n), clipped = try make(id, n)
        try wild.reset(seeds: seeds(n, offset: 7))
        try clipped.reset(seeds: seeds(n, offset: 7))
        let dim = wild.spec.actionDim
        var rng = RandomGenerator(seed: 4)
        for _ in 0..<150 {
            let actions = randomActions(count: n * dim, rng: &rng, lo: -6, hi: 6)
            try wild.step(actions: actions)
            try clipped.step(actions: actions.map { min(max($0, -1), 1) })
            #expect(StepRecord(wild.buffers) == StepRecord(clipped.buffers))
        }
        #expect(wild.buffers.invalidActionCounts.allSatisfy { $0 == 0 }, "finite out-of-bounds values are not invalid")
    }

    @Test(arguments: BuiltinEnvironments.ids)
    func rejectPolicyThrowsNamingTheEnvironmentAndLeavesEveryBufferUntouched(id: String) throws {
        let n = 5
        let env = try make(id, n, .reject), reference = try make(id, n, .reject)
        try env.reset(seeds: seeds(n))
        try reference.reset(seeds: seeds(n))
        let dim = env.spec.actionDim
        var rng = RandomGenerator(seed: 8)
        let warmup = randomActions(count: n * dim, rng: &rng)
        try env.step(actions: warmup)
        try reference.step(actions: warmup)
        let before = StepRecord(env.buffers)
        var actions = randomActions(count: n * dim, rng: &rng)
        actions[3 * dim + 1] = .infinity
        actions[4 * dim] = .nan
        #expect(throws: VectorEnvError.nonFiniteAction(env: 3, component: 1)) { try env.step(actions: actions) }
        #expect(StepRecord(env.buffers) == before)
        // Nothing advanced: the next valid step matches an environment that never saw the bad batch.
        let next = randomActions(count: n * dim, rng: &rng)
        try env.step(actions: next)
        try reference.step(actions: next)
        #expect(StepRecord(env.buffers) == StepRecord(reference.buffers))
    }

    @Test func errorMessagesSayWhatToFix() {
        let nonFinite = VectorEnvError.nonFiniteAction(env: 3, component: 1).description
        #expect(nonFinite.contains("environment 3") && nonFinite.contains("component 1"))
        #expect(VectorEnvError.actionCountMismatch(expected: 8, got: 6).description.contains("8"))
        #expect(VectorEnvError.stepBeforeReset.description.contains("reset(seeds:)"))
    }

    @Test func wrongActionCountThrows() throws {
        let env = try make("push", 3)
        try env.reset(seeds: seeds(3))
        #expect(throws: VectorEnvError.actionCountMismatch(expected: 6, got: 5)) {
            try env.step(actions: [Float](repeating: 0, count: 5))
        }
    }

    @Test func wrongSeedCountThrows() throws {
        let env = try make("pick-place", 3)
        #expect(throws: VectorEnvError.seedCountMismatch(expected: 3, got: 2)) { try env.reset(seeds: [1, 2]) }
    }

    @Test func stepBeforeResetThrows() throws {
        let env = try make("reach-obstacle", 2)
        #expect(throws: VectorEnvError.stepBeforeReset) { try env.step(actions: [0, 0, 0, 0]) }
    }
}
