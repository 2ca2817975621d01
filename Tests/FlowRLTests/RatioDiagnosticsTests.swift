import FlowRL
import Foundation
import Testing

/// PPO's ratio diagnostics stay finite where Float ratios under- or overflow.
@Suite struct RatioDiagnosticsTests {
    @Test func aLogRatioBelowFloatUnderflowGivesAFiniteKLAndAPositiveMinimum() {
        // Float(exp(-120)) is 0, and −log 0 made approx_kl read inf in MetaWorld pick-place runs.
        #expect(Float(exp(-120.0)) == 0)
        let d = RatioDiagnostics(logRatios: [0, -120, 5])
        let expected = ((exp(-120.0) - 1 + 120) + (exp(5.0) - 1 - 5)) / 3
        #expect(d.approxKL.isFinite && abs(d.approxKL - expected) < 1e-9 * expected)
        #expect(d.min > 0 && abs(d.min - exp(-120.0)) < 1e-60)
        #expect(abs(d.max - exp(5.0)) < 1e-9)
        #expect(d.count == 3)
    }

    @Test func aLogRatioAboveFloatOverflowStaysFinite() {
        #expect(Float(exp(100.0)).isInfinite)
        let d = RatioDiagnostics(logRatios: [100, 0])
        #expect(d.max.isFinite && d.mean.isFinite && d.approxKL.isFinite)
    }

    @Test func maskedLogRatiosDoNotCountAndIdenticalPoliciesReadExactlyOne() {
        let d = RatioDiagnostics(logRatios: [0, 0, -300], weights: [1, 1, 0])
        #expect(d.count == 2 && d.mean == 1 && d.min == 1 && d.max == 1 && d.approxKL == 0 && d.maxDeviation == 0)
        let empty = RatioDiagnostics(logRatios: [], weights: [])
        #expect(empty.count == 0 && empty.mean == 1 && empty.approxKL == 0)
    }

    @Test func theTrimmedKLIgnoresAFewCollapsedChunksButNotABroadShift() {
        // 95 chunks that barely moved and 5 whose log-density collapsed by 300 nats.
        let few = RatioDiagnostics(logRatios: [Float](repeating: 0.01, count: 95) + [Float](repeating: -300, count: 5))
        #expect(few.approxKL > 10, "the plain mean is dominated by the five")
        let small = Double(Float(0.01))
        #expect(abs(few.trimmedApproxKL - (exp(small) - 1 - small)) < 1e-15)
        // Every chunk moved: the trimmed estimate sees it.
        let broad = RatioDiagnostics(logRatios: [Float](repeating: -1, count: 100))
        #expect(abs(broad.trimmedApproxKL - (exp(-1.0) - 1 + 1)) < 1e-9)
    }

    @Test func perTaskDiagnosticsShowOneTaskMovingFarWhileThePooledKLStaysSmall() {
        // Task 0: 95 ratios that barely moved; task 1: 5 that moved by 0.5 nats each.
        let logRatios = [Float](repeating: 0.01, count: 95) + [Float](repeating: 0.5, count: 5)
        let tasks = [Int](repeating: 0, count: 95) + [Int](repeating: 1, count: 5)
        let byTask = RatioDiagnostics.perTask(logRatios: logRatios, tasks: tasks)
        #expect(byTask[0] == RatioDiagnostics(logRatios: Array(logRatios[..<95])))
        #expect(byTask[1] == RatioDiagnostics(logRatios: Array(logRatios[95...])))
        let pooled = RatioDiagnostics(logRatios: logRatios)
        // The pooled trimmed KL drops task 1's terms as outliers; task 1's own does not.
        #expect(pooled.trimmedApproxKL < 0.001)
        #expect(byTask[1]!.trimmedApproxKL > 0.1)
        // Masked ratios count for no task.
        let masked = RatioDiagnostics.perTask(logRatios: logRatios, weights: tasks.map { $0 == 1 ? 0 : 1 }, tasks: tasks)
        #expect(masked[1]!.count == 0 && masked[0]!.count == 95)
    }
}
