import FlowNN

/// How a Q-ensemble's heads combine into the value that advantages use (docs/algorithms.md §4.3): a
/// pessimistic estimate, so states whose value the heads disagree on look worse than their mean.
/// The critic's regression targets use the plain ensemble mean instead: regressing on pessimistic
/// targets would compound the pessimism every iteration.
///
/// ```swift
/// let v = EnsemblePessimism.meanMinusStd(beta: 1).value(heads: [0.4, 0.6, 0.5], rng: &rng)  // 0.5 − 0.082
/// ```
public enum EnsemblePessimism: Sendable, Equatable, Codable {
    /// `mean − β·std` over the heads (population standard deviation).
    case meanMinusStd(beta: Float)
    /// The smaller value of two distinct heads drawn at random (REDQ-style).
    case minOfRandomPair

    /// The pessimistic value of one state's head values (one head: that head's value, no draw).
    public func value(heads v: ArraySlice<Float>, rng: inout RandomGenerator) -> Float {
        guard v.count > 1 else { return v.first! }
        switch self {
        case .meanMinusStd(let beta):
            return EnsembleStatistics.mean(v) - beta * EnsembleStatistics.std(v)
        case .minOfRandomPair:
            let first = rng.nextInt(below: v.count)
            var second = rng.nextInt(below: v.count - 1)
            if second >= first { second += 1 }
            return min(v[v.startIndex + first], v[v.startIndex + second])
        }
    }
}

/// Mean and spread of one state's head values.
public enum EnsembleStatistics {
    public static func mean(_ v: ArraySlice<Float>) -> Float { v.reduce(0, +) / Float(v.count) }

    /// Population standard deviation (the ensemble's disagreement).
    public static func std(_ v: ArraySlice<Float>) -> Float {
        let m = mean(v)
        return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Float(v.count)).squareRoot()
    }
}
