import FlowEnvs
import FlowNN
import FlowTestSupport
import Foundation
import SafeTensors
import Testing

@Suite struct DemonstrationDatasetTests {
    static func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }

    static func tiny() -> DemonstrationDataset {
        var d = DemonstrationDataset(envID: "toy", observationDim: 2, actionDim: 1, source: "test", taskNames: ["a", "b"])
        d.append(observations: [0, 0, 1, 1, 2, 2], actions: [10, 11, 12], rewards: [0, 0, 1], success: true, task: 1)
        d.append(observations: [5, 5], actions: [20], rewards: [1], success: true, task: 0)
        return d
    }

    @Test func writeReadRoundTripIsExact() throws {
        let path = Self.tempPath("demos.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.tiny().write(to: path)
        #expect(try DemonstrationDataset.read(from: path) == Self.tiny())
    }

    @Test func chunksRepeatTheEpisodesLastActionAndNeverCrossEpisodes() {
        let pairs = ChunkedDemonstrations(Self.tiny(), chunkLength: 3)
        #expect(pairs.count == 4)
        let b = pairs.batch(indices: [0, 1, 2, 3])
        #expect(b.observations == [0, 0, 1, 1, 2, 2, 5, 5])
        #expect(b.chunks == [10, 11, 12, 11, 12, 12, 12, 12, 12, 20, 20, 20])
        #expect(b.tasks == [1, 1, 1, 0])
    }

    @Test func corruptOrInconsistentFilesGiveTypedErrors() throws {
        let path = Self.tempPath("bad.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var bad = Self.tiny()
        bad.episodeStarts[1] = 2  // overlaps the first episode
        #expect(throws: DemonstrationDatasetError.self) { try bad.write(to: path) }
        // A policy checkpoint or any other safetensors file is not a dataset.
        try SafeTensorsFile(tensors: ["x": SafeTensor(floats: [1], shape: [1])]).write(to: path)
        #expect(throws: DemonstrationDatasetError.self) { try DemonstrationDataset.read(from: path) }
        // A truncated file is the reader's typed error.
        try Self.tiny().write(to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 5).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafeTensorsError.self) { try DemonstrationDataset.read(from: path) }
        var nan = Self.tiny()
        nan.actions[0] = .nan
        #expect(throws: DemonstrationDatasetError.self) { try nan.validate() }
    }

    @Test func collectionIsDeterministicAndKeepsOnlySuccessfulEpisodes() throws {
        let collector = DemonstrationCollector(envID: "reach-obstacle", numEnvs: 8)
        let (a, report) = try collector.collectWithReport(episodes: 12, seed: 3)
        let b = try collector.collect(episodes: 12, seed: 3)
        #expect(a == b)
        #expect(a.episodeCount == 12 && a.episodeSuccess.allSatisfy { $0 })
        #expect(report.succeeded == 12 && report.attempted >= 12)
        #expect(a.actions.allSatisfy { $0 >= -1 && $0 <= 1 }, "stored actions are the executed (clipped) ones")
        try a.validate()
        let c = try collector.collect(episodes: 12, seed: 4)
        #expect(a.observations != c.observations)
    }

    @Test func withSuccessOnlyOffFailedEpisodesAreKeptAndMarkedFailed() throws {
        // A very noisy expert fails often: its failed episodes are kept in finishing order, marked.
        let noisy = DemonstrationCollector(envID: "reach-obstacle", numEnvs: 8, noiseStd: 1.5, successOnly: false)
        let (all, report) = try noisy.collectWithReport(episodes: 16, seed: 3)
        #expect(all.episodeCount == 16 && all.episodeSuccess.contains(false) && all.episodeSuccess.contains(true))
        #expect(report.succeeded == all.episodeSuccess.filter { $0 }.count)
        try all.validate()
        var strict = noisy
        strict.successOnly = true
        #expect(try strict.collect(episodes: 4, seed: 3).episodeSuccess.allSatisfy { $0 })
    }

    @Test(.requiresPython("numpy", "safetensors"))
    func pythonSafetensorsLoadsADatasetFile() throws {
        let path = Self.tempPath("demos.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.tiny().write(to: path)
        let script = """
            import json, sys
            from safetensors.numpy import load_file
            from safetensors import safe_open
            d = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="numpy") as f:
                meta = f.metadata()
            print(json.dumps({"obs": d["observations"].tolist(), "lengths": d["episode_lengths"].tolist(),
                              "success": d["episode_success"].tolist(), "env": meta["env_id"], "format": meta["format"]}))
            """
        let result = try TestPython.run(script, [path])
        try #require(result.status == 0, "\(TestPython.executable) failed: \(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect((json?["lengths"] as? [Int]) == [3, 1])
        #expect((json?["success"] as? [Int]) == [1, 1])
        #expect((json?["env"] as? String) == "toy")
        #expect((json?["format"] as? String) == DemonstrationDataset.formatTag)
        #expect((json?["obs"] as? [[Double]])?.count == 4)
    }
}
