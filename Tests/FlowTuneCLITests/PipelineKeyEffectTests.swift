import FlowEnvs
import FlowTuneCLI
import Foundation
import Testing

extension ProcessSignalSuites {
    /// The keys the run pipeline consumes itself (not a library config) change what a run writes.
    @Suite(.serialized) struct PipelineKeyEffectTests {
        @Test func runKeysShapeTheRunDirectory() throws {
            let dir = try WorkflowCommandTests.tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try WorkflowCommandTests.run(["train", "--algo", "flow-sde"] + WorkflowCommandTests.tiny + [
                "--set", "run.output_dir=\(dir)", "--set", "run.name=named",
                "--set", "run.checkpoint_interval=1", "--set", "run.keep_checkpoints=2", "--set", "run.tensorboard=false",
                "--set", "demos.count=4", "--set", "policy.denoised_clip=null",
            ])
            let run = dir + "/named"
            let files = try FileManager.default.contentsOfDirectory(atPath: run)
            #expect(files.contains("config.yaml"), "run.output_dir and run.name place the run")
            #expect(!files.contains { $0.hasPrefix("events.out.tfevents") }, "run.tensorboard=false writes no event file")
            let numbered = try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").filter { $0.hasPrefix("iter-") }.sorted()
            #expect(numbered == ["iter-000002.safetensors", "iter-000003.safetensors"],
                    "a checkpoint every iteration (run.checkpoint_interval=1), the newest 2 kept (run.keep_checkpoints=2)")
            #expect(try DemonstrationDataset.read(from: run + "/demos.safetensors").episodeCount == 4)
            let log = try String(contentsOfFile: run + "/log.txt", encoding: .utf8)
            #expect(log.contains("the policy's denoising chains are unbounded"), "policy.denoised_clip=null removes the bound")

            try WorkflowCommandTests.run(["sft", "--name", "from-file"] + WorkflowCommandTests.tiny + [
                "--set", "run.output_dir=\(dir)", "--set", "demos.path=\(run)/demos.safetensors", "--set", "run.keep_checkpoints=0",
            ])
            let sftLog = try String(contentsOfFile: dir + "/from-file/log.txt", encoding: .utf8)
            #expect(sftLog.contains("loaded 4 demonstrations"), "demos.path loads the file instead of collecting")
            #expect(!FileManager.default.fileExists(atPath: dir + "/from-file/demos.safetensors"))
        }

        @Test func keepingNoNumberedCheckpointsKeepsOnlyLatestAndBest() throws {
            let dir = try WorkflowCommandTests.tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try WorkflowCommandTests.run(["train", "--name", "k", "--algo", "flow-sde"] + WorkflowCommandTests.tiny
                                         + ["--set", "run.output_dir=\(dir)", "--set", "run.keep_checkpoints=0"])
            let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/k/checkpoints").sorted()
            #expect(files == ["best.safetensors", "latest.safetensors"])
        }
    }
}
