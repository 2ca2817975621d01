import FlowTuneCLI
import Foundation
import Testing

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds = 0.0
    var now: Double {
        lock.lock()
        defer { lock.unlock() }
        return seconds
    }
    func advance(_ by: Double) {
        lock.lock()
        seconds += by
        lock.unlock()
    }
}

@Suite struct ProgressReporterTests {
    @Test func onATerminalEachUpdateRedrawsOneLineWithIterationRateSuccessAndETA() {
        let out = LockedLines()
        let clock = ManualClock()
        let progress = ProgressReporter(total: 10, label: "train", isTerminal: true, columns: 200,
                                        output: { out.append($0) }, clock: { clock.now })
        progress.begin()
        for i in 1...3 {
            clock.advance(2)
            progress.update(iteration: i, envSteps: i * 2000, successRate: 0.5)
        }
        let writes = out.lines
        #expect(writes.count == 3)
        #expect(writes.allSatisfy { $0.hasPrefix("\r\u{1B}[2K") && !$0.contains("\n") })
        let last = writes.last!
        #expect(last.contains("train 3/10"))
        #expect(last.contains("1,000 steps/s"))
        #expect(last.contains("success 50.0%"))
        #expect(last.contains("ETA 14s"), "7 iterations left at 2 s each: \(last)")
        progress.finish()
        #expect(out.lines.last == "\n")
    }

    @Test func terminalRedrawsAreLimitedToTenPerSecondButTheLastIterationIsAlwaysShown() {
        let out = LockedLines()
        let clock = ManualClock()
        let progress = ProgressReporter(total: 100, isTerminal: true, columns: 200, output: { out.append($0) }, clock: { clock.now })
        for i in 1...100 {
            clock.advance(0.01)
            progress.update(iteration: i, envSteps: i)
        }
        #expect(out.lines.count <= 12)
        #expect(out.lines.last?.contains("100/100") == true)
    }

    @Test func theTerminalLineIsCutToTheTerminalWidthSoItNeverWraps() {
        let out = LockedLines()
        let progress = ProgressReporter(total: 5, isTerminal: true, columns: 30, output: { out.append($0) }, clock: { 0 })
        progress.update(iteration: 1, envSteps: 100, successRate: 0.25, extra: [("loss", "0.123456789")])
        let visible = out.lines[0].replacingOccurrences(of: "\r\u{1B}[2K", with: "")
        #expect(visible.count == 29)
    }

    @Test func withoutATerminalPlainLinesAppearEveryIntervalAndAtTheEnd() {
        let out = LockedLines()
        let clock = ManualClock()
        let progress = ProgressReporter(total: 35, label: "train", isTerminal: false, plainInterval: 10,
                                        output: { out.append($0) }, clock: { clock.now })
        progress.begin()
        for i in 1...35 {
            clock.advance(1)
            progress.update(iteration: i, envSteps: i * 100, successRate: Double(i) / 35)
        }
        progress.finish()
        let lines = out.lines
        #expect(lines.map { $0.split(separator: " ")[1] } == ["1/35", "11/35", "21/35", "31/35", "35/35"])
        #expect(lines.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\u{1B}") && !$0.contains("\r") })
        #expect(lines.last == "train 35/35  envsteps 3,500  100 steps/s  success 100.0%  ETA 0s\n")
    }

    @Test func withoutATerminalLinesCanAlsoComeEveryNIterations() {
        let out = LockedLines()
        let progress = ProgressReporter(total: 20, isTerminal: false, plainInterval: 1e9, plainEveryIterations: 5,
                                        output: { out.append($0) }, clock: { 0 })
        for i in 1...20 { progress.update(iteration: i, envSteps: i) }
        #expect(out.lines.map { $0.split(separator: " ")[1] } == ["1/20", "6/20", "11/20", "16/20", "20/20"])
    }

    @Test func printingAMessageClearsTheLiveLineFirst() {
        let out = LockedLines()
        let progress = ProgressReporter(total: 5, isTerminal: true, columns: 100, output: { out.append($0) }, clock: { 0 })
        progress.update(iteration: 1, envSteps: 1)
        progress.print("evaluation: 62.0% success")
        #expect(out.lines.last == "\r\u{1B}[2Kevaluation: 62.0% success\n")
    }

    @Test func theWeakestTaskIsTheLowestPooledTrainingSuccessOverTheWindow() {
        var window = WeakestTaskWindow(iterations: 2)
        // An unlucky iteration for lift (0 of 1) between good ones; push-left fails steadily.
        window.add(["train_success": 0.6, "train_success_reach": 1.0, "train_episodes_reach": 4,
                    "train_success_push-left": 0.125, "train_episodes_push-left": 8,
                    "train_success_lift": 1.0, "train_episodes_lift": 3, "policy_loss": -0.1])
        window.add(["train_success_reach": 0.75, "train_episodes_reach": 4,
                    "train_success_push-left": 0.25, "train_episodes_push-left": 4,
                    "train_success_lift": 0.0, "train_episodes_lift": 1])
        #expect(window.item?.0 == "weakest" && window.item?.1 == "push-left 17% (2/12)")
        // The window forgets the oldest iteration: lift's 0/1 and 0/2 now outweigh its 3/3.
        window.add(["train_success_reach": 1.0, "train_episodes_reach": 2,
                    "train_success_push-left": 0.5, "train_episodes_push-left": 2,
                    "train_success_lift": 0.0, "train_episodes_lift": 2])
        #expect(window.item?.1 == "lift 0% (0/3)")
    }

    @Test func aSingleTaskOrTasksWithoutFinishedEpisodesNameNoWeakestTask() {
        var window = WeakestTaskWindow()
        window.add(["train_success": 0.5, "train_success_reach": 0.5, "train_episodes_reach": 2])
        #expect(window.item == nil, "one task: nothing to compare")
        var unfinished = WeakestTaskWindow()
        unfinished.add(["train_success_reach": 0.5, "train_episodes_reach": 2, "train_success_lift": 0.0])
        #expect(unfinished.item == nil, "a task without its episode count is not compared")
    }
}
