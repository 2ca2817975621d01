import FlowTestSupport
import FlowTuneCLI
import Foundation
import SafeTensors
import Testing

@Suite struct MetricsLoggerTests {
    @Test func eachLogCallAppendsOneJSONLineThatIsOnDiskBeforeClose() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/metrics.jsonl"
        let metrics = try MetricsLogger(path: path)
        try metrics.log(iteration: 1, envSteps: 2560, wallTime: 8.5, metrics: ["policy_loss": -0.25, "eval_success": 0.5])
        #expect(readText(path) == "{\"iteration\":1,\"env_steps\":2560,\"wall_time\":8.5,\"eval_success\":0.5,\"policy_loss\":-0.25}\n")
        try metrics.log(iteration: 2, envSteps: 5120, wallTime: 17, metrics: ["weird \"name\"\n": 1e-7])
        let lines = readText(path).split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil)
        }
        metrics.close()
    }

    @Test func nonFiniteValuesAreValidJSONAndReadBackAsNonFinite() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/metrics.jsonl"
        let metrics = try MetricsLogger(path: path)
        try metrics.log(iteration: 1, envSteps: 0, wallTime: 0.1, metrics: ["a": .nan, "b": .infinity, "c": -.infinity, "d": 2])
        let line = readText(path).trimmingCharacters(in: .newlines)
        #expect(line.contains("\"a\":\"nan\"") && line.contains("\"b\":\"inf\"") && line.contains("\"c\":\"-inf\""))
        #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line) must be strict JSON")
        // Python's strict parser agrees, and float() reads the strings back.
        let check = try runPython("""
            import json, sys, math
            d = json.loads(open(sys.argv[1]).readline(), parse_constant=lambda c: sys.exit('non-JSON constant ' + c))
            assert math.isnan(float(d['a'])) and float(d['b']) == math.inf and float(d['c']) == -math.inf, d
            print('ok')
            """, [path])
        #expect(check.stdout.contains("ok"), "\(check.stderr)")
        let record = try #require(MetricsLog.read(path).records.first)
        #expect(record.values["a"]!.isNaN && record.values["b"] == .infinity && record.values["c"] == -.infinity)
        #expect(record.values["d"] == 2)
    }

    @Test func recordsReadBackEqualToWhatWasLogged() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/metrics.jsonl"
        let metrics = try MetricsLogger(path: path)
        let records = (1...20).map { i in
            MetricsRecord(iteration: i, envSteps: i * 640, wallTime: Double(i) * 1.37,
                          values: ["eval_success": Double(i) / 20, "ratio_mean": 1 + 1e-3 * Double(i), "x": 0.1 + 0.2])
        }
        for r in records { try metrics.log(r) }
        let log = try MetricsLog.read(path)
        #expect(log.records == records)
        #expect(log.metricNames == ["eval_success", "ratio_mean", "x"])
        #expect(log.series("eval_success").map(\.envSteps) == (1...20).map { $0 * 640 })
        #expect(!log.truncatedTail && log.skippedLines.isEmpty)
    }

    @Test func readingToleratesATruncatedLastLine() throws {
        let text = "{\"iteration\":1,\"env_steps\":10,\"wall_time\":1.0,\"loss\":0.5}\n{\"iteration\":2,\"env_steps\":20,\"wall_t"
        let log = MetricsLog.parse(Data(text.utf8))
        #expect(log.records.map(\.iteration) == [1])
        #expect(log.truncatedTail)
        #expect(log.skippedLines.isEmpty)
    }

    @Test func malformedLinesInTheMiddleAreSkippedAndReported() throws {
        let text = "{\"iteration\":1}\nnot json\n[1,2]\n{\"iteration\":4,\"env_steps\":40}\n\n"
        let log = MetricsLog.parse(Data(text.utf8))
        #expect(log.records.map(\.iteration) == [1, 4])
        #expect(log.skippedLines == [2, 3])
        #expect(!log.truncatedTail)
    }

    @Test func aResumedLoggerStartsOnAFreshLineAfterACrashCutTheLastOne() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/metrics.jsonl"
        try AtomicFile.writeRunFile("{\"iteration\":1,\"env_steps\":10,\"wall_time\":1.0}\n{\"iteration\":2,\"env_s", to: path)
        let metrics = try MetricsLogger(path: path, truncate: false)
        try metrics.log(iteration: 2, envSteps: 20, wallTime: 2, metrics: [:])
        let log = try MetricsLog.read(path)
        #expect(log.records.map(\.iteration) == [1, 2])
        #expect(log.skippedLines == [2])
    }

    @Test func truncatingAfterAnIterationKeepsOnlyEarlierRecords() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/metrics.jsonl"
        let metrics = try MetricsLogger(path: path)
        for i in 1...6 { try metrics.log(iteration: i, envSteps: i, wallTime: Double(i), metrics: ["v": Double(i)]) }
        try MetricsLog.truncate(path, afterIteration: 4)
        #expect(try MetricsLog.read(path).records.map(\.iteration) == [1, 2, 3, 4])
    }

    @Test func metricsNamedLikeTheFixedKeysAreDropped() {
        let line = MetricsLogger.jsonLine(MetricsRecord(iteration: 3, envSteps: 30, wallTime: 3,
                                                        values: ["iteration": 99, "env_steps": 1, "wall_time": 2, "ok": 1]))
        #expect(line == "{\"iteration\":3,\"env_steps\":30,\"wall_time\":3.0,\"ok\":1.0}")
    }

    @Test func readingAMissingFileSaysThereIsNoFile() {
        #expect(runError { _ = try MetricsLog.read("/nonexistent/metrics.jsonl") } == .fileNotFound(path: "/nonexistent/metrics.jsonl"))
    }
}
