import FlowEnvs
import FlowTuneBench
import FlowTuneCLI
import FlowTestSupport
import Foundation
import Testing

/// `flowtune bench bridge`: the statistics it prints and the measurement itself on a cheap simulator.
@Suite struct BridgeBenchmarkTests {
    @Test func overheadIsTheMedianOfRatiosTakenWithinEachRepetitionNotARatioOfMedians() {
        // Repetition speeds drift together (the machine got slower in the 2nd and 3rd repetition);
        // within each repetition the bridge costs 10%, 20%, 30% more than the plain loop.
        let r = BridgeBenchmark.Result(secondsPerEnvStep: [
            .plain(processes: 1): [1.0, 3.0, 2.0],
            .bridge(workers: 1): [1.1, 3.6, 2.6],
            .plain(processes: 2): [0.5, 1.5, 1.0],
            .bridge(workers: 2): [0.55, 2.4, 1.3],
        ])
        #expect(abs(r.overheadAtOneWorker! - 0.2) < 1e-12)
        // Ratio of the medians would be 2.6 / 2.0 − 1 = 30%: the drift, not the bridge.
        #expect(r.pairedRatios(.bridge(workers: 1), over: .plain(processes: 1))!.map { ($0 * 10).rounded() } == [11, 12, 13])
        #expect(abs(r.speedUp(workers: 2)! - 2.0) < 1e-12)   // 1.1/0.55, 3.6/2.4, 2.6/1.3 → median 2
        #expect(abs(r.ceiling(processes: 2)! - 2.0) < 1e-12)
        #expect(abs(r.medianStepsPerSecond(.plain(processes: 1))! - 0.5) < 1e-12)
        #expect(r.speedUp(workers: 4) == nil)
    }

    @Test func memoryPerEnvironmentIsThePeaksDifferenceOverTheEnvironmentsDifference() {
        // 5 environments: one worker holds 5, two workers at most 3 each; the medians (1100, 650)
        // differ by 450 bytes for 2 environments.
        let r = BridgeBenchmark.Result(secondsPerEnvStep: [:], peakWorkerBytes: [1: [1000, 1200, 1100], 2: [600, 650, 700]])
        #expect(r.bytesPerEnvironment(numEnvs: 5, workers: 2) == 225)
        #expect(r.bytesPerEnvironment(numEnvs: 5, workers: 4) == nil, "no measurement with 4 workers")
        #expect(r.bytesPerEnvironment(numEnvs: 1, workers: 2) == nil, "one environment: both setups hold the same")
    }

    @Test func eachWorkerCountIsMeasuredRightAfterItsPlainReferenceAndOneWorkerAlwaysComesFirst() {
        #expect(BridgeBenchmark.setups(workerCounts: [2]) == [.plain(processes: 1), .bridge(workers: 1), .plain(processes: 2), .bridge(workers: 2)])
        #expect(BridgeBenchmark.setups(workerCounts: [2, 1]) == BridgeBenchmark.setups(workerCounts: [1, 2]))
    }

    @Test(.requiresPython("numpy", "gymnasium"), .slow)
    func everySetupIsMeasuredOnUnevenShards() throws {
        var bench = BridgeBenchmark(envID: "gym/Pendulum-v1", numEnvs: 3, steps: 20)
        bench.repetitions = 2
        let r = try bench.run(workerCounts: [1, 2])
        for setup in BridgeBenchmark.setups(workerCounts: [2]) {
            let seconds = try #require(r.secondsPerEnvStep[setup])
            #expect(seconds.count == 2 && seconds.allSatisfy { $0.isFinite && $0 > 0 }, "\(setup): \(seconds)")
        }
        #if os(Linux)
        // A worker is a Python interpreter with numpy and gymnasium loaded: tens of MB at least.
        for workers in [1, 2] {
            let peaks = try #require(r.peakWorkerBytes[workers], "the workers' peak memory is read from /proc")
            #expect(peaks.count == 2 && peaks.allSatisfy { $0 > 10 << 20 && $0 < 4 << 30 }, "\(workers) workers: \(peaks)")
        }
        #endif
    }

    @Test(.requiresPython("numpy", "gymnasium"))
    func thePlainLoopsPausesBetweenStepsAreLeftOutOfItsTiming() throws {
        // 5 pauses of 40 ms = 200 ms; 5 Pendulum steps take well under a millisecond. Had the pauses
        // been timed, the loop would report at least 200 ms.
        let text = try PythonRuntime().run(["bench", "--env", "gym/Pendulum-v1", "--num-envs", "1", "--steps", "5", "--pause-us", "40000"])
        let line = try #require(text.split(separator: "\n").last)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(o["pause_us"] as? Double == 40000)
        let seconds = try #require(o["seconds"] as? Double)
        #expect(seconds > 0 && seconds < 0.1, "\(seconds) s for 5 Pendulum steps")
    }

    @Test(.requiresPython("numpy", "gymnasium"))
    func thePlainLoopRefusesANegativePause() throws {
        do {
            _ = try PythonRuntime().run(["bench", "--env", "gym/Pendulum-v1", "--num-envs", "1", "--steps", "2", "--pause-us", "-5"])
            Issue.record("--pause-us -5 was accepted")
        } catch {
            #expect("\(error)".contains("--pause-us must be ≥ 0"), "\(error)")
        }
    }

    @Test(.requiresPython("numpy", "gymnasium"))
    func thePlainLoopRefusesAnActionFileOfTheWrongSize() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bridge-bench-short-\(UUID().uuidString).f32")
        try Data(repeating: 0, count: 4 * 7).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            _ = try PythonRuntime().run(["bench", "--env", "gym/Pendulum-v1", "--num-envs", "2", "--steps", "5", "--actions", file.path])
            Issue.record("a 7-value action file for 2 environments × 5 steps × 1 action dimension was accepted")
        } catch {
            #expect("\(error)".contains("holds 7 Float32 values"), "\(error)")
        }
    }
}
