import FlowEnvs
import FlowTensor
import FlowTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension BridgeTests {
    /// MetaWorld through the bridge: fidelity to MetaWorld itself, determinism, tasks and experts.
    @Suite(.requiresPython("numpy", "gymnasium", "mujoco", "metaworld"), .slow)
    struct MetaWorldTests {
        /// Steps MetaWorld directly (no bridge code), following the seeding rule the worker documents:
        /// an episode with seed s uses goal variation default_rng(s).integers(50) of MT1(task, seed=0)
        /// and env.seed(s); it ends at success or after `maxSteps`. Prints nothing; writes Float32 rows:
        /// the observation after reset and after every step (the next episode's first one when an
        /// episode ended), then the final observation of every finished episode.
        static let directScript = """
            import sys, numpy as np, metaworld
            task, max_steps, actions_path, seeds, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
            seeds = [int(s) for s in seeds.split(",")]
            bench = metaworld.MT1(task, seed=0)
            variations = bench.train_tasks
            env = bench.train_classes[task]()
            def start(seed):
                env.set_task(variations[int(np.random.default_rng(seed).integers(len(variations)))])
                env.seed(seed)
                return env.reset()[0]
            actions = np.fromfile(actions_path, dtype="<f4").reshape(-1, 4)
            obs, finals, flags, episode, steps = [start(seeds[0])], [], [], 1, 0
            for a in actions:
                o, r, _, truncated, info = env.step(a)
                steps += 1
                success = info["success"] == 1.0
                done = success or truncated or steps >= max_steps
                flags.append(f"{int(success)}{int(done)}")
                if done:
                    finals.append(o)
                    o = start(seeds[episode]); episode += 1; steps = 0
                obs.append(o)
            np.asarray(obs + finals, dtype="<f4").tofile(out_path)
            print(" ".join(flags))
            """

        @Test func bridgeObservationsAreBitIdenticalToSteppingMetaWorldDirectly() throws {
            let maxSteps = 20, steps = 45
            let env = try PythonBridgeEnv(id: "metaworld/reach-v3", numEnvs: 2, options: .init(maxEpisodeSteps: maxSteps),
                                          configuration: quietBridge(workers: 2))
            defer { env.close() }
            let od = env.spec.observationDim
            #expect(od == 39 && env.spec.actionDim == 4)
            try env.reset(seeds: [11, 12])
            var rng = RandomGenerator(seed: 99)
            var actions = [[Float]](repeating: [], count: 2)
            var obs = [[UInt32]](repeating: [], count: 2), finals = obs
            var seeds: [[UInt64]] = [[11], [12]]
            var flags = [[String]](repeating: [], count: 2)
            for i in 0..<2 { obs[i] += env.buffers.observation(ofEnv: i).map(\.bitPattern) }
            for _ in 0..<steps {
                let a = (0..<8).map { _ in rng.nextUniform(-1, 1) }
                try env.step(actions: a)
                for i in 0..<2 {
                    actions[i] += a[(i * 4)..<(i * 4 + 4)]
                    obs[i] += env.buffers.observation(ofEnv: i).map(\.bitPattern)
                    flags[i].append("\(env.buffers.success[i] ? 1 : 0)\(env.buffers.isDone(i) ? 1 : 0)")
                    if env.buffers.isDone(i) {
                        finals[i] += env.buffers.finalObservation(ofEnv: i).map(\.bitPattern)
                        seeds[i].append(env.buffers.episodeSeeds[i])
                        #expect(env.buffers.episodeSteps[i] == 0)
                    }
                }
            }
            #expect(env.restarts.isEmpty)
            #expect(seeds[0].count == 3, "two auto-resets at \(maxSteps) and \(2 * maxSteps) steps")
            let dir = NSTemporaryDirectory()
            for i in 0..<2 {
                let actionsPath = dir + "flowtune-bridge-actions-\(getpid())-\(i).bin"
                let outPath = dir + "flowtune-bridge-direct-\(getpid())-\(i).bin"
                defer { try? FileManager.default.removeItem(atPath: actionsPath); try? FileManager.default.removeItem(atPath: outPath) }
                try actions[i].withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: actionsPath)) }
                let result = try runBridgePython(Self.directScript, ["reach-v3", "\(maxSteps)", actionsPath,
                                                                     seeds[i].map { "\($0)" }.joined(separator: ","), outPath])
                #expect(result.status == 0, "direct MetaWorld script failed: \(result.stderr)")
                let data = try Data(contentsOf: URL(fileURLWithPath: outPath))
                let direct = data.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
                #expect(direct.count == obs[i].count + finals[i].count)
                #expect(Array(direct.prefix(obs[i].count)) == obs[i], "observations of env \(i) differ from MetaWorld's")
                #expect(Array(direct.dropFirst(obs[i].count)) == finals[i], "final observations of env \(i) differ")
                #expect(result.stdout.split(separator: " ").map(String.init).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                        == flags[i], "success/done flags of env \(i) differ")
                _ = od
            }
        }

        /// Also when the workers are stepped in parts (`beginStep`/`finishStep`), one part's step in
        /// flight while the other part is read and sent its next actions, as the rollout pipeline does.
        @Test func aRunIsTheSameFunctionOfSeedsAndActionsWhateverTheWorkerCountOrStepParts() throws {
            let halves = [0..<1, 1..<3], steps = 30
            var rng = RandomGenerator(seed: 3)
            let actions = (0..<steps).map { _ in randomActions(count: 12, rng: &rng) }
            func run(workers: Int, inParts: Bool) throws -> [StepRecord] {
                let env = try PythonBridgeEnv(id: "metaworld/push-v3", numEnvs: 3, options: .init(maxEpisodeSteps: 12),
                                              configuration: quietBridge(workers: workers))
                defer { env.close() }
                try env.reset(seeds: [5, 6, 7])
                var records = halves.map { StepRecord(env.buffers, rows: Array($0)) }
                guard inParts else {
                    for t in 0..<steps {
                        try env.step(actions: actions[t])
                        records += halves.map { StepRecord(env.buffers, rows: Array($0)) }
                    }
                    return records
                }
                let parts = env.stepParts(2)
                #expect(parts == halves)
                func begin(_ t: Int, _ part: Range<Int>) throws {
                    try actions[t][(part.lowerBound * 4)..<(part.upperBound * 4)].withUnsafeBufferPointer {
                        try env.beginStep(actions: $0, environments: part)
                    }
                }
                for part in parts { try begin(0, part) }
                for t in 0..<steps {
                    for part in parts {
                        try env.finishStep(environments: part)
                        records.append(StepRecord(env.buffers, rows: Array(part)))
                        if t + 1 < steps { try begin(t + 1, part) }
                    }
                }
                return records
            }
            let one = try run(workers: 1, inParts: false)
            #expect(try run(workers: 3, inParts: false) == one)
            #expect(try run(workers: 3, inParts: true) == one)
            #expect(one.contains { $0.truncated.contains(true) }, "the run should include auto-resets")
        }

        @Test func mt10RunsTaskIModTenWithItsInstructionSentenceAndAOneHotObservation() throws {
            let env = try PythonBridgeEnv(id: "metaworld/MT10", numEnvs: 12, configuration: quietBridge(workers: 2))
            defer { env.close() }
            #expect(env.spec.numTasks == 10 && env.spec.observationDim == 49)
            #expect(env.spec.tasks[0].name == "reach-v3" && env.spec.tasks[2].instruction == "pick up the puck and place it at the goal")
            #expect(Set(env.spec.tasks.map(\.instruction)).count == 10, "one distinct sentence per task")
            try env.reset(seeds: (0..<12).map { UInt64($0) })
            for i in 0..<12 {
                #expect(env.taskIndex(forEnv: i) == i % 10)
                #expect(env.instruction(forEnv: i) == env.spec.tasks[i % 10].instruction)
                let oneHot = Array(env.buffers.observation(ofEnv: i)[39...])
                #expect(oneHot == (0..<10).map { $0 == i % 10 ? Float(1) : 0 })
            }
        }

        /// Chosen tasks (`reset(seeds:tasks:)`): a slot runs exactly the episode that a slot whose own
        /// task it is runs from the same seed, keeps the task through its auto-resets, returns to task
        /// i mod 10 at a plain reset, and the whole run is the same bits with one worker or two (the
        /// worker hands parked environment objects between slots).
        @Test func mt10ChosenTasksRunTheirOwnEpisodesWhateverTheWorkerCount() throws {
            let steps = 25, chosen = [2, 2, 7, 0], later = [5, 5, 5, 5]
            var rng = RandomGenerator(seed: 4)
            let actions = (0..<(2 * steps)).map { _ in randomActions(count: 16, rng: &rng) }
            func run(workers: Int) throws -> [StepRecord] {
                let env = try PythonBridgeEnv(id: "metaworld/MT10", numEnvs: 4, options: .init(maxEpisodeSteps: 10),
                                              configuration: quietBridge(workers: workers))
                defer { env.close() }
                #expect(env.canChooseTasks)
                try env.reset(seeds: [1, 2, 3, 4], tasks: chosen)
                #expect((0..<4).map { env.taskIndex(forEnv: $0) } == chosen)
                var records = [StepRecord(env.buffers)]
                for t in 0..<steps {
                    try env.step(actions: actions[t])
                    records.append(StepRecord(env.buffers))
                }
                #expect((0..<4).map { env.taskIndex(forEnv: $0) } == chosen, "auto-reset episodes keep the chosen task")
                try env.reset(seeds: [5, 6, 7, 8], tasks: later)
                for t in steps..<(2 * steps) {
                    try env.step(actions: actions[t])
                    records.append(StepRecord(env.buffers))
                }
                try env.reset(seeds: [9, 10, 11, 12])
                #expect((0..<4).map { env.taskIndex(forEnv: $0) } == [0, 1, 2, 3])
                #expect(throws: VectorEnvError.self) { try env.reset(seeds: [1, 2, 3, 4], tasks: [0, 1, 10, 0]) }
                return records
            }
            let one = try run(workers: 1)
            #expect(try run(workers: 2) == one)
            #expect(one.contains { $0.truncated.contains(true) }, "the run should include auto-resets")

            // Slot 0 running task 2 from seed 1 is slot 2 of the default assignment from seed 1.
            let reference = try PythonBridgeEnv(id: "metaworld/MT10", numEnvs: 3, options: .init(maxEpisodeSteps: 10),
                                                configuration: quietBridge(workers: 1))
            defer { reference.close() }
            try reference.reset(seeds: [0, 0, 1])
            let mine = try PythonBridgeEnv(id: "metaworld/MT10", numEnvs: 1, options: .init(maxEpisodeSteps: 10),
                                           configuration: quietBridge(workers: 1))
            defer { mine.close() }
            try mine.reset(seeds: [1], tasks: [2])
            #expect(Array(mine.buffers.observation(ofEnv: 0)) == Array(reference.buffers.observation(ofEnv: 2)))
            for t in 0..<steps {
                try reference.step(actions: [Float](repeating: 0, count: 8) + Array(actions[t][0..<4]))
                try mine.step(actions: Array(actions[t][0..<4]))
                #expect(Array(mine.buffers.observation(ofEnv: 0)) == Array(reference.buffers.observation(ofEnv: 2)))
                #expect(mine.buffers.rewards[0] == reference.buffers.rewards[2])
            }
        }

        /// A worker that dies while its environments run chosen tasks is replaced, and the replacement
        /// runs the same tasks: the trainer resends them with the episodes' seeds.
        @Test func aRestartedWorkerKeepsTheChosenTasks() throws {
            let env = try PythonBridgeEnv(id: "metaworld/MT10", numEnvs: 4, options: .init(maxEpisodeSteps: 10),
                                          configuration: quietBridge(workers: 2))
            defer { env.close() }
            try env.reset(seeds: [1, 2, 3, 4], tasks: [6, 6, 8, 8])
            let before = env.workerPIDs
            kill(before[0], SIGKILL)
            #expect(waitUntilGone(before[0], seconds: 10))
            try env.step(actions: [Float](repeating: 0, count: 16))
            #expect(env.restarts.count == 1 && env.restarts.first?.environments == 0..<2)
            #expect((0..<4).map { env.taskIndex(forEnv: $0) } == [6, 6, 8, 8])
            #expect(Array(env.buffers.observation(ofEnv: 0)[39...]) == (0..<10).map { $0 == 6 ? Float(1) : 0 })
        }

        @Test func aSingleTaskSuiteCannotChooseTasks() throws {
            let env = try PythonBridgeEnv(id: "metaworld/reach-v3", numEnvs: 2, configuration: quietBridge(workers: 1))
            defer { env.close() }
            #expect(!env.canChooseTasks)
            #expect(throws: VectorEnvError.cannotChooseTasks(envID: "metaworld/reach-v3")) { try env.reset(seeds: [1, 2], tasks: [0, 0]) }
        }

        /// The dense reward is the sparse one plus the progress of MetaWorld's shaped reward ÷ 10: over an
        /// episode, dense − sparse telescopes to the potential's total change, which lies in [−1, 1]
        /// and is positive when the expert ends at the goal. A success still pays exactly 1 more.
        @Test func denseRewardIsTheSuccessRewardPlusTheProgressOfMetaWorldsShapedReward() throws {
            func episodeRewards(dense: Bool) throws -> (rewards: [[Float]], success: [Bool]) {
                try expertEpisodeRewards(id: "metaworld/reach-v3", seeds: [5, 6], dense: dense)
            }
            let sparse = try episodeRewards(dense: false), dense = try episodeRewards(dense: true)
            #expect(sparse.success == [true, true], "MetaWorld's reach expert succeeds from these seeds")
            for i in 0..<2 {
                #expect(dense.rewards[i].count == sparse.rewards[i].count, "the same actions give the same episode")
                #expect(sparse.rewards[i].reduce(0, +) == 1 && sparse.rewards[i].last == 1)
                let progress = zip(dense.rewards[i], sparse.rewards[i]).map { Double($0) - Double($1) }
                let total = progress.reduce(0, +)
                #expect(total > 0.5 && total <= 1.0 + 1e-5, "reach's potential rises from far to at the goal: \(total)")
                #expect(progress.allSatisfy { abs($0) <= 1 }, "a step's progress is a change of R/10 with R in [0, 10]")
            }
        }

        @Test func scriptedExpertThroughTheBridgeCollectsSuccessfulReachDemonstrations() throws {
            let (dataset, report) = try DemonstrationCollector(envID: "metaworld/reach-v3", numEnvs: 4)
                .collectWithReport(episodes: 4, seed: 1)
            #expect(dataset.episodeCount == 4 && dataset.envID == "metaworld/reach-v3")
            #expect(dataset.observationDim == 39 && dataset.actionDim == 4)
            #expect(report.succeeded == 4)
            #expect(report.attempted <= 6, "MetaWorld's reach expert should rarely fail (\(report))")
        }
    }
}
