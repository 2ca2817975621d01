import Foundation
import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL
import Testing

/// What an evaluation reports per task of a multi-task suite.
@Suite struct EvaluationReportTests {
    @Test func aMultiTaskEvaluationPrintsOneAlignedLinePerTaskWithItsOwnInterval() throws {
        let env = try BuiltinEnvironments.make(id: "multitask", numEnvs: 1)
        var pc = FlowPolicyConfig(observationDim: env.spec.observationDim, actionDim: env.spec.actionDim)
        (pc.encoderWidths, pc.velocityWidth, pc.velocityDepth, pc.timeEmbeddingDim, pc.denoisingSteps) = ([8], 8, 1, 4, 2)
        pc.taskCount = env.spec.numTasks
        var rng = RandomGenerator(seed: 5)
        let report = try Evaluator(envID: "multitask", episodes: 20).evaluate(FlowPolicy(config: pc, rng: &rng))
        let lines = report.perTaskTable
        #expect(lines.count == env.spec.tasks.count)
        for (line, t) in zip(lines, report.perTask) {
            let ci = wilsonInterval(successes: t.successes, trials: t.episodes)
            #expect(line.hasPrefix("  \(t.task) ") && line.contains(" \(t.successes)/\(t.episodes) "), "\(line)")
            #expect(line.hasSuffix(String(format: "[%.1f, %.1f]", ci.low * 100, ci.high * 100)), "\(line)")
        }
        // Aligned: every line puts its count in the same column.
        #expect(Set(lines.map { $0.firstIndex(of: "/")!.utf16Offset(in: $0) }).count == 1)
    }

    /// `metrics(prefix:)` is what metrics.jsonl records: the pooled figures, and per task only for a suite.
    /// `eval.num_envs` only changes how many episodes run at once: under the ODE sampler every
    /// episode's outcome is the same whatever the batches.
    @Test func odeOutcomesDoNotDependOnHowManyEnvironmentsStepTogether() throws {
        var pc = FlowPolicyConfig(observationDim: 20, actionDim: 4)
        (pc.encoderWidths, pc.velocityWidth, pc.velocityDepth, pc.timeEmbeddingDim, pc.denoisingSteps) = ([16], 16, 1, 8, 4)
        pc.taskCount = 10
        var rng = RandomGenerator(seed: 5)
        let policy = FlowPolicy(config: pc, rng: &rng)
        let whole = try Evaluator(envID: "multitask", episodes: 23).evaluate(policy)
        for batch in [1, 7, 12] {  // the suite chooses every later batch's tasks
            let split = try Evaluator(envID: "multitask", episodes: 23, batchSize: batch).evaluate(policy)
            #expect(split.outcomes == whole.outcomes, "batches of \(batch)")
        }
        // A suite that cannot choose its tasks (MetaWorld with a camera): batches of 12 are rounded
        // down to 10, and a batch smaller than the task count is refused with a message.
        let fixed: (Int, FlowPolicy) throws -> any VectorEnv = { n, _ in
            TasksFixedEnv(try BuiltinEnvironments.make(id: "multitask", numEnvs: n))
        }
        let rounded = try Evaluator(envID: "multitask", episodes: 23, batchSize: 12, makeEnvironments: fixed).evaluate(policy)
        #expect(rounded.outcomes == whole.outcomes)
        #expect(throws: EvaluationError.self) {
            try Evaluator(envID: "multitask", episodes: 23, batchSize: 7, makeEnvironments: fixed).evaluate(policy)
        }
    }

    @Test func evaluationMetricsAddEachTasksSuccessOnlyForASuite() {
        let outcomes = [(0, true), (0, false), (1, true), (1, true), (2, false)].map {
            EpisodeOutcome(task: $0.0, success: $0.1, return: $0.1 ? 1 : 0, length: 10)
        }
        let suite = EvaluationReport(outcomes: outcomes, taskNames: ["a", "b", "c"]).metrics(prefix: "eval_sde_")
        #expect(suite["eval_sde_success"] == 0.6 && suite["eval_sde_successes"] == 3 && suite["eval_sde_episodes"] == 5)
        #expect(suite["eval_sde_success_a"] == 0.5 && suite["eval_sde_success_b"] == 1 && suite["eval_sde_success_c"] == 0)
        let single = EvaluationReport(outcomes: outcomes.map { EpisodeOutcome(task: 0, success: $0.success, return: $0.return, length: 10) },
                                      taskNames: ["a"]).metrics()
        #expect(Set(single.keys) == ["eval_success", "eval_successes", "eval_episodes", "eval_return", "eval_length"])
    }
}

/// A suite's environments with the choice of tasks taken away: environment j runs task j mod T.
private final class TasksFixedEnv: VectorEnv {
    let inner: any VectorEnv
    init(_ inner: any VectorEnv) { self.inner = inner }
    var spec: EnvSpec { inner.spec }
    var numEnvs: Int { inner.numEnvs }
    var buffers: VectorEnvBuffers { inner.buffers }
    func reset(seeds: [UInt64]) throws { try inner.reset(seeds: seeds) }
    func step(actions: UnsafeBufferPointer<Float>) throws { try inner.step(actions: actions) }
}
