import Foundation

/// One minibatch's likelihood-ratio diagnostics (mean, extremes and the k3 estimate of the
/// approximate KL, `E[(r − 1) − log r]`, docs/algorithms.md §4.1), computed in Double from the
/// log-ratios.
///
/// ```swift
/// let d = RatioDiagnostics(logRatios: [0, -120, 5])
/// d.min        // e^−120 ≈ 7.7e−53, not 0
/// d.approxKL   // ((1 − 1 − 0) + (e^−120 − 1 + 120) + (e^5 − 1 − 5)) / 3 ≈ 88.8, not inf
/// ```
///
/// Why from log-ratios: a Float ratio underflows to 0 below log r ≈ −104 and overflows to ∞ above
/// ≈ 89. All-steps Flow-SDE sums a chunk's log-density over K·H·D Gaussian elements, and one
/// update can move a chunk's sum by 100 nats (MetaWorld pick-place did), after which a KL computed
/// from Float ratios reads `inf` (−log 0) and ratio_min reads 0, hiding how far the policy moved.
/// In Double the same numbers stay finite up to |log r| ≈ 709.
public struct RatioDiagnostics: Equatable, Sendable {
    public var count: Int
    public var mean: Double
    public var min: Double
    public var max: Double
    public var approxKL: Double
    /// Largest |r − 1| (0 exactly when every ratio is exactly 1).
    public var maxDeviation: Double
    /// The k3 estimate averaged over all but the largest `trimmedFraction` of its terms: what the
    /// KL early stop tests, because a few chunks whose log-density collapsed by hundreds of nats
    /// (a runaway chain) make the plain mean read "moved far" when the rest of the batch did not
    /// move at all (docs/algorithms.md §4.1).
    public var trimmedApproxKL: Double
    /// The share of the largest k3 terms that `trimmedApproxKL` leaves out.
    public static let trimmedFraction = 0.05

    /// Diagnostics over the log-ratios whose weight is positive (all of them when `weights` is nil):
    /// masked elements never enter the loss, so they do not count here either.
    public init(logRatios: [Float], weights: [Float]? = nil) {
        precondition(weights == nil || weights!.count == logRatios.count, "one weight per log-ratio")
        var n = 0, sum = 0.0, kl = 0.0, lo = Double.infinity, hi = -Double.infinity, dev = 0.0
        var terms: [Double] = []
        terms.reserveCapacity(logRatios.count)
        for (i, lr) in logRatios.enumerated() where weights.map({ $0[i] > 0 }) ?? true {
            let l = Double(lr), r = Foundation.exp(l)
            n += 1
            sum += r
            kl += (r - 1) - l
            terms.append((r - 1) - l)
            lo = Swift.min(lo, r)
            hi = Swift.max(hi, r)
            dev = Swift.max(dev, abs(r - 1))
        }
        count = n
        mean = n > 0 ? sum / Double(n) : 1
        min = n > 0 ? lo : 1
        max = n > 0 ? hi : 1
        approxKL = n > 0 ? kl / Double(n) : 0
        maxDeviation = dev
        let kept = terms.count - Int(Double(terms.count) * Self.trimmedFraction)
        trimmedApproxKL = kept > 0 ? terms.sorted().prefix(kept).reduce(0, +) / Double(kept) : 0
    }

    /// Diagnostics of each task's log-ratios (`tasks[i]` is the task of `logRatios[i]`): in a
    /// multi-task batch one task's policy can move several times the batch average, which the
    /// pooled numbers hide (docs/algorithms.md §4.1).
    public static func perTask(logRatios: [Float], weights: [Float]? = nil, tasks: [Int]) -> [Int: RatioDiagnostics] {
        precondition(tasks.count == logRatios.count, "one task per log-ratio")
        var groups: [Int: (ratios: [Float], weights: [Float])] = [:]
        for (i, task) in tasks.enumerated() {
            groups[task, default: ([], [])].ratios.append(logRatios[i])
            groups[task, default: ([], [])].weights.append(weights?[i] ?? 1)
        }
        return groups.mapValues { RatioDiagnostics(logRatios: $0.ratios, weights: $0.weights) }
    }
}
