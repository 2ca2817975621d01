import Foundation

/// The Wilson score interval of a success rate: the confidence band of the report's success plot.
///
/// ```swift
/// let ci = WilsonInterval(successes: 62, trials: 100)   // 95% by default
/// ci.lower, ci.upper                                     // ≈ 0.522, 0.709
/// ```
///
/// With `p = k/n` and `z` the normal quantile (1.96 for 95%):
/// `center = (p + z²/2n) / (1 + z²/n)`,
/// `half = z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n)`.
/// Unlike `p ± z·sqrt(p(1−p)/n)` it stays inside [0, 1] and is not empty at 0% or 100%.
public struct WilsonInterval: Sendable, Equatable {
    public let lower: Double
    public let upper: Double

    public init(successes: Double, trials: Double, z: Double = 1.959963984540054) {
        guard trials > 0, successes.isFinite, trials.isFinite else {
            lower = 0
            upper = 1
            return
        }
        let p = min(1, max(0, successes / trials))
        let z2 = z * z
        let denominator = 1 + z2 / trials
        let center = (p + z2 / (2 * trials)) / denominator
        let half = z * (p * (1 - p) / trials + z2 / (4 * trials * trials)).squareRoot() / denominator
        lower = max(0, center - half)
        upper = min(1, center + half)
    }
}
