import FlowEnvs
import FlowPolicy
import FlowTensor
import FlowRL
import Foundation
import Testing

@Suite struct TaskAllocationTests {
    @Test func beforeAnyEpisodeEveryTaskGetsTheSameShare() {
        let allocation = TaskAllocation(taskCount: 4, floor: 0.1)
        #expect(allocation.assignment(numEnvs: 8, groupSize: 1) == [0, 0, 1, 1, 2, 2, 3, 3])
        // Ties in the remainders go to the lower task index.
        #expect(allocation.assignment(numEnvs: 6, groupSize: 1) == [0, 0, 1, 1, 2, 3])
    }

    @Test func tasksThatStillFailGetTheSpareEnvironmentsAndSolvedOnesKeepOne() {
        var allocation = TaskAllocation(taskCount: 3, floor: 0.1)
        // Task 0 always succeeds, task 1 half the time, task 2 never.
        allocation.record(successes: [0: 10, 1: 5], episodes: [0: 10, 1: 10, 2: 10])
        #expect(allocation.weights == [0.1, 0.5, 1.0])
        // 3 + 13 spare: quotas 13·(0.1, 0.5, 1)/1.6 = (0.81, 4.06, 8.13) → 0, 4, 8, and the last spare
        // environment to the largest remainder (task 0's 0.81).
        let dealt = allocation.assignment(numEnvs: 16, groupSize: 1)
        #expect((0..<3).map { t in dealt.count { $0 == t } } == [2, 5, 9])
        #expect(dealt == dealt.sorted(), "dealt in task order")
    }

    @Test func earlierIterationsFadeWithTheDecay() {
        var allocation = TaskAllocation(taskCount: 2, floor: 0.05)
        allocation.record(successes: [:], episodes: [0: 10, 1: 10])        // both fail
        allocation.record(successes: [0: 10], episodes: [0: 10, 1: 10])   // task 0 learnt it
        let s = allocation.successes[0] / allocation.episodes[0]
        #expect(abs(s - 10 / (10 + 10 * TaskAllocation.decay)) < 1e-12)
        #expect(allocation.weights[1] == 1 && abs(allocation.weights[0] - (1 - s)) < 1e-12)
    }

    @Test func groupsShareATask() {
        var allocation = TaskAllocation(taskCount: 2, floor: 0.1)
        allocation.record(successes: [0: 4], episodes: [0: 4, 1: 4])
        let dealt = allocation.assignment(numEnvs: 12, groupSize: 3)
        #expect(dealt == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    }

    static func multiTaskPolicy() throws -> FlowPolicy {
        var pc = FlowPolicyConfig(observationDim: 20, actionDim: 4)
        (pc.encoderWidths, pc.velocityWidth, pc.velocityDepth, pc.timeEmbeddingDim, pc.denoisingSteps) = ([16], 16, 1, 8, 4)
        pc.taskCount = 10
        var rng = RandomGenerator(seed: 2)
        return FlowPolicy(config: pc, rng: &rng)
    }

    static func config() -> RLConfig {
        var c = RLConfig()
        (c.rolloutSteps, c.minibatchSize, c.epochs, c.klTarget) = (30, 64, 1, nil)
        c.taskAllocation = .success
        return c
    }

    /// On the built-in suite: every iteration deals all environments, one at least to each task, says
    /// so in `task_envs_<task>`, and a resumed run deals (and learns) exactly as the uninterrupted one.
    @Test(.slow) func trainingDealsEnvironmentsByTaskAndResumesBitIdentically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = RLRun(numEnvs: 30, seed: 3)
        let uninterrupted = try RLTrainer(policy: try Self.multiTaskPolicy(), envID: "multitask", config: Self.config(), run: run)
        for k in 0..<4 {
            // What this iteration will deal: the allocation after the iterations before it.
            let expected = uninterrupted.taskAllocation!.assignment(numEnvs: 30, groupSize: 1)
            let m = try uninterrupted.runIteration()
            let counts = MultiTaskEnv.tasks.map { m["task_envs_\($0.name)"] ?? -1 }
            #expect(counts == (0..<10).map { t in Double(expected.count { $0 == t }) })
            #expect(counts.reduce(0, +) == 30 && counts.allSatisfy { $0 >= 1 }, "\(counts)")
            if k == 0 { #expect(counts == [Double](repeating: 3, count: 10), "the first iteration deals evenly") }
        }
        #expect(uninterrupted.taskAllocation!.episodes.allSatisfy { $0 > 0 }, "every task's episodes were counted")

        let first = try RLTrainer(policy: try Self.multiTaskPolicy(), envID: "multitask", config: Self.config(), run: run)
        for _ in 0..<2 { try first.runIteration() }
        try first.saveCheckpoint(to: dir + "/latest.safetensors")
        let resumed = try RLTrainer.resume(from: dir + "/latest.safetensors")
        #expect(resumed.taskAllocation == first.taskAllocation)
        for _ in 0..<2 { try resumed.runIteration() }
        #expect(resumed.taskAllocation == uninterrupted.taskAllocation)
        #expect(resumed.policy.parameterValues().mapValues(\.scalars) == uninterrupted.policy.parameterValues().mapValues(\.scalars))
    }

    @Test func allocationNeedsAMultiTaskSuiteThatCanChooseTasksAndAnEnvironmentPerTask() throws {
        func message(_ envID: String, numEnvs: Int, policy: FlowPolicy) -> String {
            do {
                _ = try RLTrainer(policy: policy, envID: envID, config: Self.config(), run: RLRun(numEnvs: numEnvs, seed: 0))
                return ""
            } catch { return "\(error)" }
        }
        #expect(message("multitask", numEnvs: 8, policy: try Self.multiTaskPolicy()).contains("at least 10 for 10 tasks"))
        var pc = FlowPolicyConfig(observationDim: 8, actionDim: 2)
        (pc.encoderWidths, pc.velocityWidth, pc.velocityDepth, pc.timeEmbeddingDim, pc.denoisingSteps) = ([16], 16, 1, 8, 4)
        var rng = RandomGenerator(seed: 1)
        #expect(message("reach-obstacle", numEnvs: 8, policy: FlowPolicy(config: pc, rng: &rng)).contains("has one task, so use fixed"))
    }
}
