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
}
