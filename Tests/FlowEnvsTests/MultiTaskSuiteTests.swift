import FlowEnvs
import FlowTensor
import Testing

@Suite struct MultiTaskSuiteTests {
    @Test func environmentIRunsTaskIModuloTheNumberOfTasks() throws {
        let env = MultiTaskEnv(numEnvs: 25)
        #expect(env.spec.numTasks == 10)
        for i in 0..<25 {
            #expect(env.taskIndex(forEnv: i) == i % 10)
            #expect(env.taskAssignment[i] == i % 10)
            #expect(env.instruction(forEnv: i) == MultiTaskEnv.tasks[i % 10].instruction)
        }
        #expect(env.instruction(forEnv: 3) == "push the block to the left target")
        #expect(Set(MultiTaskEnv.tasks.map(\.instruction)).count == 10, "instructions tell tasks apart")
    }

    @Test func demonstrationsAreSharedEquallyByTheTasksNotTakenByWhoFinishesFirst() throws {
        let ten = try DemonstrationCollector(envID: "multitask", numEnvs: 16).collect(episodes: 10, seed: 0)
        #expect(ten.episodeTasks.sorted() == Array(0..<10), "one episode of each task")
        let (many, report) = try DemonstrationCollector(envID: "multitask", numEnvs: 16).collectWithReport(episodes: 25, seed: 0)
        #expect(report.succeeded == 25 && report.attempted < 2 * 25, "episodes of tasks already served are not counted: \(report)")
        let counts = (0..<10).map { t in many.episodeTasks.filter { $0 == t }.count }
        #expect(counts == [3, 3, 3, 3, 3, 2, 2, 2, 2, 2])
        // A suite with more tasks than environments still gives every task its share.
        let few = try DemonstrationCollector(envID: "multitask", numEnvs: 4).collect(episodes: 10, seed: 0)
        #expect(few.episodeTasks.sorted() == Array(0..<10))
    }

    @Test func observationHasAFixedSizeWithTheTaskOneHotAtTheEnd() throws {
        let env = MultiTaskEnv(numEnvs: 20)
        try env.reset(seeds: seeds(20))
        #expect(env.spec.observationDim == MultiTaskEnv.familyObservationDim + 10)
        var rng = RandomGenerator(seed: 1)
        for _ in 0..<200 {
            try env.step(actions: randomActions(count: 20 * 4, rng: &rng))
            for i in 0..<20 {
                let o = env.buffers.observation(ofEnv: i)
                let oneHot = Array(o[MultiTaskEnv.familyObservationDim...])
                #expect(oneHot == (0..<10).map { $0 == i % 10 ? 1 : 0 })
                if i % 10 < 3 { #expect(o[8] == 0 && o[9] == 0, "reach rows are zero-padded") }
            }
        }
    }

    @Test func oneHotCanBeLeftOutAndTasksAssignedExplicitly() throws {
        let env = MultiTaskEnv(numEnvs: 3, config: .init(taskAssignment: [9, 9, 0], appendTaskOneHot: false))
        try env.reset(seeds: [1, 2, 3])
        #expect(env.spec.observationDim == MultiTaskEnv.familyObservationDim)
        #expect(Array(env.buffers.taskIndices) == [9, 9, 0])
        #expect(env.instruction(forEnv: 0) == "pick up the cube and lift it")
    }

    /// `reset(seeds:tasks:)` re-deals the tasks: each environment then steps exactly as an environment
    /// built with that assignment from the same seed, auto-resets included, with its one-hot.
    @Test func chosenTasksStepExactlyAsAnEnvironmentBuiltWithThatAssignment() throws {
        let chosen = [7, 7, 3, 0, 9, 3]
        let env = MultiTaskEnv(numEnvs: 6)
        #expect(env.canChooseTasks)
        try env.reset(seeds: seeds(6))  // the default assignment first, then re-dealt
        try env.reset(seeds: seeds(6, offset: 40), tasks: chosen)
        let built = MultiTaskEnv(numEnvs: 6, config: .init(taskAssignment: chosen))
        try built.reset(seeds: seeds(6, offset: 40))
        #expect(Array(env.buffers.taskIndices) == chosen.map(Int32.init) && env.taskAssignment == chosen)
        #expect(StepRecord(env.buffers) == StepRecord(built.buffers))
        var rng = RandomGenerator(seed: 2)
        for _ in 0..<300 {
            let actions = randomActions(count: 6 * 4, rng: &rng)
            try env.step(actions: actions)
            try built.step(actions: actions)
            #expect(StepRecord(env.buffers) == StepRecord(built.buffers))
        }
        #expect(throws: VectorEnvError.taskCountMismatch(expected: 6, got: 2)) { try env.reset(seeds: seeds(6), tasks: [0, 1]) }
        #expect(throws: VectorEnvError.invalidTask(env: 1, task: 10, taskCount: 10)) { try env.reset(seeds: seeds(6), tasks: [0, 10, 0, 0, 0, 0]) }
        #expect(throws: VectorEnvError.cannotChooseTasks(envID: "push")) { try PushEnv(numEnvs: 2).reset(seeds: seeds(2), tasks: [0, 0]) }
    }

    @Test func statisticsReportPerTaskAndAverageSuccess() throws {
        let env = MultiTaskEnv(numEnvs: 40)
        let expert = MultiTaskExpert(env: env, seed: 4)
        var stats = EpisodeStatistics(env: env)
        try env.reset(seeds: seeds(40))
        var actions = [Float](repeating: 0, count: 40 * 4)
        for _ in 0..<300 {
            expert.act(env.buffers, into: &actions)
            try env.step(actions: actions)
            stats.record(env.buffers)
        }
        #expect(stats.episodes.allSatisfy { $0 >= 4 }, "\(stats.episodes)")
        for t in 0..<10 {
            #expect(stats.successRate(task: t) >= 0.9, "\(MultiTaskEnv.tasks[t].name): \(stats.successRate(task: t))")
            #expect(stats.meanLength(task: t) <= Double(MultiTaskEnv.tasks[t].maxEpisodeSteps))
            #expect(stats.meanReturn(task: t) == stats.successRate(task: t), "sparse reward: return = success")
        }
        let mean = (0..<10).map { stats.successRate(task: $0) }.reduce(0, +) / 10
        #expect(abs(stats.averageSuccessRate - mean) < 1e-12)
    }

    @Test func tasksOfTheSameFamilyDrawGoalsFromTheirOwnRegions() throws {
        let env = MultiTaskEnv(numEnvs: 200)
        try env.reset(seeds: seeds(200))
        for i in 0..<200 {
            let o = env.buffers.observation(ofEnv: i)
            switch i % 10 {
            case 1: #expect(o[2] < -0.5, "reach-top-left goal on the left")
            case 2: #expect(o[2] > 0.5, "reach-top-right goal on the right")
            case 3: #expect(o[6] <= -0.4, "push-left target on the left")
            case 4: #expect(o[6] >= 0.4, "push-right target on the right")
            case 5: #expect(o[7] >= 0.35, "push-forward target ahead")
            case 6: #expect(o[6] == o[2] && o[7] == o[3] && o[8] < -0.99, "turn-upright: same place, angle π/2")
            case 7: #expect(o[8] <= -0.45, "place-left target on the left")
            case 8: #expect(o[8] >= 0.45, "place-right target on the right")
            case 9: #expect(o[8] == o[5] && o[9] == o[6], "lift: target is the cube's own position")
            default: break
            }
        }
    }
}
