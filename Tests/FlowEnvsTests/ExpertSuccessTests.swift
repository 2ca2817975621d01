import FlowEnvs
import FlowTensor
import Testing

@Suite struct ExpertSuccessTests {
    static let episodes = 200

    @Test(arguments: ["reach-obstacle", "push", "pick-place"])
    func expertSucceedsInAtLeast95PercentOf200SeededEpisodes(id: String) throws {
        let env = try BuiltinEnvironments.make(id: id, numEnvs: Self.episodes)
        let expert = try BuiltinEnvironments.makeExpert(for: env, seed: 2024)
        let result = try firstEpisodes(env, expert: expert, seeds: seeds(Self.episodes, offset: 1))
        let rate = Double(result.success.filter { $0 }.count) / Double(Self.episodes)
        #expect(rate >= 0.95, "\(id): expert success \(rate) over \(Self.episodes) episodes (noise \(expert.noiseStd))")
    }

    @Test func multitaskExpertSucceedsInAtLeast95PercentOf200EpisodesOfEveryTask() throws {
        let numTasks = MultiTaskEnv.tasks.count
        let env = MultiTaskEnv(numEnvs: Self.episodes * numTasks)
        let expert = MultiTaskExpert(env: env, seed: 2024)
        let result = try firstEpisodes(env, expert: expert, seeds: seeds(env.numEnvs, offset: 1))
        var perTask: [String] = []
        for t in 0..<numTasks {
            let mine = (0..<env.numEnvs).filter { env.taskAssignment[$0] == t }
            #expect(mine.count == Self.episodes)
            let rate = Double(mine.filter { result.success[$0] }.count) / Double(mine.count)
            perTask.append("\(MultiTaskEnv.tasks[t].name) \(rate)")
            #expect(rate >= 0.95, "\(MultiTaskEnv.tasks[t].name): expert success \(rate) over \(mine.count) episodes")
        }
        let average = Double(result.success.filter { $0 }.count) / Double(env.numEnvs)
        #expect(average >= 0.95, "average \(average): \(perTask.joined(separator: ", "))")
    }

    @Test func reachExpertTakesEachRouteAboutHalfTheTime() throws {
        // Record on which side of the obstacle's centre each agent passes the obstacle's middle.
        let n = Self.episodes
        let env = ReachObstacleEnv(numEnvs: n)
        let expert = ReachObstacleExpert(env: env, seed: 99)
        try env.reset(seeds: seeds(n, offset: 300))
        var side = [Float](repeating: 0, count: n)
        var actions = [Float](repeating: 0, count: 2 * n)
        for _ in 0..<env.spec.maxEpisodeSteps {
            expert.act(env.buffers, into: &actions)
            try env.step(actions: actions)
            for i in 0..<n where side[i] == 0 {
                let o = env.buffers.isDone(i) ? env.buffers.finalObservation(ofEnv: i) : env.buffers.observation(ofEnv: i)
                if o[1] > o[5] { side[i] = o[0] < o[4] ? -1 : 1 }
            }
        }
        let left = side.filter { $0 < 0 }.count, right = side.filter { $0 > 0 }.count
        #expect(left + right == n)
        #expect((80...120).contains(left), "left \(left), right \(right) of \(n)")
    }

    @Test(arguments: BuiltinEnvironments.ids)
    func expertIsDeterministicForASeed(id: String) throws {
        func run(_ expertSeed: UInt64) throws -> [StepRecord] {
            let env = try BuiltinEnvironments.make(id: id, numEnvs: 10)
            let expert = try BuiltinEnvironments.makeExpert(for: env, seed: expertSeed)
            try env.reset(seeds: seeds(10))
            var actions = [Float](repeating: 0, count: 10 * env.spec.actionDim)
            var records: [StepRecord] = []
            for _ in 0..<100 {
                expert.act(env.buffers, into: &actions)
                try env.step(actions: actions)
                records.append(StepRecord(env.buffers))
            }
            return records
        }
        #expect(try run(1) == run(1))
        #expect(try run(1) != run(2))
    }

    @Test func noiseFreeExpertIsStillSuccessful() throws {
        let env = PushEnv(numEnvs: 50)
        let expert = PushExpert(env: env, noiseStd: 0, seed: 0)
        let result = try firstEpisodes(env, expert: expert, seeds: seeds(50))
        #expect(result.success.filter { $0 }.count >= 48)
    }
}
