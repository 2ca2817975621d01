import ArgumentParser
import FlowPolicy
import FlowRL
import FlowTuneCLI
import FlowTestSupport
import Foundation
import Testing

extension ProcessSignalSuites {
    /// The workflow commands end to end with tiny settings.
    @Suite(.serialized) struct WorkflowCommandTests {
        static let tiny = [
            "--set", "demos.count=3", "--set", "env.num_envs=8",
            "--set", "policy.encoder_widths=[16]", "--set", "policy.hidden_width=16", "--set", "policy.depth=1",
            "--set", "policy.time_embedding_dim=8", "--set", "sft.steps=10", "--set", "sft.batch_size=16", "--set", "sft.warmup_steps=2",
            "--set", "rl.iterations=3", "--set", "rl.rollout_steps=4", "--set", "rl.minibatch_size=16",
            "--set", "eval.episodes=4", "--set", "eval.periodic_episodes=4", "--set", "run.eval_interval=2",
            "--set", "run.checkpoint_interval=1", "--set", "run.progress_interval_seconds=1000",
        ]

        static func tempDir() throws -> String {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flowtune-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return dir
        }

        static func run(_ args: [String]) throws {
            var command = try WorkflowRoot.parseAsRoot(args)
            try command.run()
        }

        @Test func demoWritesConfigMetricsCheckpointsAndReportAndNeverOverwritesARun() throws {
            let dir = try Self.tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let args = ["demo", "--name", "t"] + Self.tiny + ["--set", "run.output_dir=\(dir)"]
            try Self.run(args)
            let run = dir + "/t"
            for file in ["config.yaml", "metrics.jsonl", "log.txt", "demos.safetensors", "sft.safetensors", "report.html",
                         "checkpoints/latest.safetensors", "checkpoints/best.safetensors"] {
                #expect(FileManager.default.fileExists(atPath: run + "/" + file), "missing \(file)")
            }
            let metrics = try MetricsLog.read(run + "/metrics.jsonl")
            // Iteration 0 is the SFT policy's evaluation; the last record carries the final evaluation.
            #expect(metrics.records.map(\.iteration) == [0, 1, 2, 3])
            #expect(metrics.records[0].values["eval_episodes"] == 4)
            #expect(metrics.records[2].values["eval_success"] != nil)
            #expect(metrics.records[3].values["eval_episodes"] == 4)
            #expect(metrics.records[1].values["first_minibatch_ratio_deviation"] == 0)
            let events = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasPrefix("events.out.tfevents") }
            #expect(events.count == 1)
            // The same name again is refused unless --overwrite is given.
            #expect(throws: (any Error).self) { try Self.run(args) }
            try Self.run(args + ["--overwrite"])
        }

        @Test func resumeContinuesARunFromItsLatestCheckpoint() throws {
            let dir = try Self.tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try Self.run(["train", "--name", "r", "--algo", "flow-sde"] + Self.tiny + ["--set", "run.output_dir=\(dir)"])
            let run = dir + "/r"
            // Pretend the run stopped after iteration 2: keep that checkpoint as latest, drop later metrics.
            try FileManager.default.removeItem(atPath: run + "/checkpoints/latest.safetensors")
            try FileManager.default.copyItem(atPath: run + "/checkpoints/iter-000002.safetensors", toPath: run + "/checkpoints/latest.safetensors")
            let full = try MetricsLog.read(run + "/metrics.jsonl")
            try Self.run(["train", "--resume", run])
            let resumed = try MetricsLog.read(run + "/metrics.jsonl")
            #expect(resumed.records.map(\.iteration) == [0, 1, 2, 3])
            // Bit-identical continuation: iteration 3's metrics equal the uninterrupted run's.
            // (NaN marks "no episode finished"; compare it as a value.)
            func comparable(_ v: [String: Double]) -> [String: Double] { v.filter { !RLTrainer.isTimingMetric($0.key) }.mapValues { $0.isNaN ? -.infinity : $0 } }
            #expect(comparable(full.records[3].values) == comparable(resumed.records[3].values))
            #expect(full.records[3].envSteps == resumed.records[3].envSteps)
        }

        @Test func bothEvaluationSamplersAreLoggedAtTheStartAndTheEnd() throws {
            let dir = try Self.tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try Self.run(["train", "--name", "b", "--algo", "flow-sde"] + Self.tiny
                         + ["--set", "run.output_dir=\(dir)", "--set", "eval.sampler=both", "--set", "policy.denoised_clip=3"])
            let metrics = try MetricsLog.read(dir + "/b/metrics.jsonl")
            for i in [0, 3] {
                #expect(metrics.records[i].values["eval_episodes"] == 4 && metrics.records[i].values["eval_sde_episodes"] == 4)
            }
            #expect(metrics.records[2].values["eval_sde_episodes"] == nil, "periodic evaluations use the ODE only")
            let log = try String(contentsOfFile: dir + "/b/log.txt", encoding: .utf8)
            #expect(log.contains("denoised clamp: ±3.0000"), "the bound given to train reaches the SFT policy")
        }

        @Test(.slow, arguments: ["fpo", "fpo++", "fpo-lyu"])
        func everyFPOAlgorithmTrainsFromTheCommandLine(algo: String) throws {
            let dir = try Self.tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try Self.run(["train", "--name", "f", "--algo", algo] + Self.tiny + ["--set", "run.output_dir=\(dir)"])
            let metrics = try MetricsLog.read(dir + "/f/metrics.jsonl")
            #expect(metrics.records.map(\.iteration) == [0, 1, 2, 3])
            #expect(metrics.records[1].values["first_minibatch_ratio_deviation"] == 0, "FPO's ratio starts at exactly 1")
            #expect(metrics.records[3].values["eval_episodes"] == 4)
            if algo == "fpo-lyu" {
                #expect((metrics.records[1].values["ensemble_disagreement"] ?? 0) > 0, "the Q-ensemble's heads disagree")
            }
        }

        @Test func theDemonstrationAnchorUsesTheRunsDemonstrationsAndSurvivesAResume() throws {
            let dir = try Self.tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try Self.run(["train", "--name", "a", "--algo", "fpo", "--set", "rl.demo_loss_coef=0.5"] + Self.tiny
                         + ["--set", "run.output_dir=\(dir)"])
            let run = dir + "/a"
            let full = try MetricsLog.read(run + "/metrics.jsonl")
            #expect(full.records[1...].allSatisfy { ($0.values["demo_cfm_loss"] ?? 0) > 0 }, "every update logs the anchor's loss")
            try FileManager.default.removeItem(atPath: run + "/checkpoints/latest.safetensors")
            try FileManager.default.copyItem(atPath: run + "/checkpoints/iter-000002.safetensors", toPath: run + "/checkpoints/latest.safetensors")
            try Self.run(["train", "--resume", run])
            let resumed = try MetricsLog.read(run + "/metrics.jsonl")
            func comparable(_ v: [String: Double]) -> [String: Double] { v.filter { !RLTrainer.isTimingMetric($0.key) }.mapValues { $0.isNaN ? -.infinity : $0 } }
            #expect(comparable(full.records[3].values) == comparable(resumed.records[3].values))
        }

        @Test func evaluationSamplerOptionsChooseTheFlowSDEChain() throws {
            func mode(_ extra: [String]) throws -> SamplingMode {
                let parsed = try WorkflowRoot.parseAsRoot(["eval", "x.safetensors", "--env", "reach-obstacle"] + extra)
                return try #require(parsed as? EvalCommand).samplingMode
            }
            #expect(try mode([]) == .ode)
            #expect(try mode(["--stochastic"]) == .flowSDE(schedule: .oneStep, noiseLevel: 0.5))
            #expect(try mode(["--stochastic", "--sde-schedule", "all", "--noise-level", "0.3"])
                    == .flowSDE(schedule: .allSteps, noiseLevel: 0.3))
        }

        @Test func evaluationSamplerOptionsWithoutStochasticAreRefused() {
            #expect(throws: (any Error).self) {
                _ = try WorkflowRoot.parseAsRoot(["eval", "x.safetensors", "--env", "reach-obstacle", "--sde-schedule", "all"])
            }
            #expect(throws: (any Error).self) {
                _ = try WorkflowRoot.parseAsRoot(["eval", "x.safetensors", "--env", "reach-obstacle", "--noise-level", "0.3"])
            }
            #expect(throws: (any Error).self) {
                _ = try WorkflowRoot.parseAsRoot(["eval", "x.safetensors", "--env", "reach-obstacle", "--stochastic", "--noise-level", "0"])
            }
            #expect(throws: (any Error).self) {
                _ = try WorkflowRoot.parseAsRoot(["eval", "x.safetensors", "--env", "reach-obstacle", "--stochastic", "--sde-schedule", "every"])
            }
        }

        @Test func choosingTheMethodTwiceIsRefusedInsteadOfSilentlyPickingOne() {
            #expect(throws: (any Error).self) {
                _ = try WorkflowRoot.parseAsRoot(["train", "--algo", "fpo", "--set", "rl.algo=fpo++"])
            }
            #expect(throws: Never.self) {
                _ = try WorkflowRoot.parseAsRoot(["train", "--algo", "fpo", "--set", "rl.fpo_samples=4"])
            }
        }
    }
}

/// The executable's command tree without `bench` (which lives in FlowTuneBench).
struct WorkflowRoot: ParsableCommand {
    static let configuration = CommandTree.configuration(bench: [])
}
