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
