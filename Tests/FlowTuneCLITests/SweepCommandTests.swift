import FlowRL
import FlowTuneCLI
import FlowTestSupport
import Foundation
import Testing

extension ProcessSignalSuites {
    /// `flowtune sweep` and `flowtune ablate` with tiny settings.
    @Suite(.serialized) struct SweepCommandTests {
        @Test(.slow) func sweepRunsEveryMethodForEverySeedAndTabulatesThem() throws {
            let dir = try WorkflowCommandTests.tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try WorkflowCommandTests.run(["sweep", "--name", "s", "--methods", "flow-sde,fpo", "--seeds", "0,1"]
                                         + WorkflowCommandTests.tiny + ["--set", "run.output_dir=\(dir)"])
            for run in ["flow-sde-seed0", "flow-sde-seed1", "fpo-seed0", "fpo-seed1"] {
                #expect(FileManager.default.fileExists(atPath: "\(dir)/s/\(run)/metrics.jsonl"), "missing run \(run)")
            }
            let table = try String(contentsOfFile: "\(dir)/s/table.md", encoding: .utf8)
            #expect(table.contains("| flow-sde | ") && table.contains("| fpo | "), "\(table)")
            #expect(table.contains("(4 episodes each)"), "\(table)")
            let results = try JSONDecoder().decode([Sweep.Outcome].self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/s/results.json")))
            #expect(results.map(\.variant) == ["flow-sde", "flow-sde", "fpo", "fpo"])
            #expect(results.map(\.seed) == [0, 1, 0, 1])
            #expect(results.allSatisfy { $0.areaUnderCurve >= 0 && $0.areaUnderCurve <= 1 && $0.environmentSteps > 0 })
            // Different seeds are different runs.
            let m0 = try MetricsLog.read("\(dir)/s/fpo-seed0/metrics.jsonl"), m1 = try MetricsLog.read("\(dir)/s/fpo-seed1/metrics.jsonl")
            #expect(m0.records[1].values["policy_loss"] != m1.records[1].values["policy_loss"])
            // Every run starts from the same policy: fpo after flow-sde in one sweep equals fpo alone.
            try WorkflowCommandTests.run(["sweep", "--name", "alone", "--methods", "fpo", "--seeds", "0"]
                                         + WorkflowCommandTests.tiny + ["--set", "run.output_dir=\(dir)"])
            let alone = try MetricsLog.read("\(dir)/alone/fpo-seed0/metrics.jsonl")
            func comparable(_ v: [String: Double]) -> [String: Double] { v.filter { !RLTrainer.isTimingMetric($0.key) }.mapValues { $0.isNaN ? -.infinity : $0 } }
            #expect(comparable(alone.records[1].values) == comparable(m0.records[1].values),
                    "a method's run must not depend on the methods trained before it in the sweep")
        }

        @Test(.slow) func ablateSwitchesEachOfLyusComponentsOffInTurn() throws {
            let names = ["all", "no-credit-assignment", "no-latent-exploration", "no-q-ensemble", "none"]
            let dir = try WorkflowCommandTests.tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try WorkflowCommandTests.run(["ablate", "--name", "a", "--seeds", "3"] + WorkflowCommandTests.tiny
                                         + ["--set", "rl.iterations=1", "--set", "run.output_dir=\(dir)"])
            let table = try String(contentsOfFile: "\(dir)/a/table.md", encoding: .utf8)
            for name in names { #expect(table.contains("| \(name) | "), "\(name) missing from\n\(table)") }
            // The saved configs say what each variant switched off.
            let noEnsemble = try String(contentsOfFile: "\(dir)/a/no-q-ensemble-seed3/config.yaml", encoding: .utf8)
            #expect(noEnsemble.contains("q_ensemble: false") && noEnsemble.contains("credit_assignment: true"))
        }

        @Test func unknownMethodsAndBadSeedsAreRejectedWithTheAllowedValues() throws {
            let dir = try WorkflowCommandTests.tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            do {
                try WorkflowCommandTests.run(["sweep", "--methods", "ppo", "--set", "run.output_dir=\(dir)"])
                Issue.record("ppo was accepted")
            } catch {
                #expect("\(error)".contains("flow-noise, flow-sde, flow-sde-all, fpo, fpo++, fpo-lyu, grpo"), "\(error)")
            }
            #expect(throws: (any Error).self) {
                try WorkflowCommandTests.run(["sweep", "--methods", "fpo", "--seeds", "a,b", "--set", "run.output_dir=\(dir)"])
            }
        }

        @Test func areaUnderTheCurveIsTheTimeAveragedSuccess() {
            #expect(Sweep.normalizedArea([(0, 0.2), (10, 0.2)]) == 0.2)
            #expect(abs(Sweep.normalizedArea([(0, 0), (5, 1), (10, 1)]) - 0.75) < 1e-12)
        }
    }
}
