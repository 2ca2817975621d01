import FlowNN

/// Diagonal Gaussian log-density per element (ALGORITHMS.md §1):
/// `−½[(x − μ)²/σ² + 2 log σ + log 2π]`. Summing over the elements that a ratio covers is left to
/// the caller (`LogDensityAggregation`), so the same numbers serve chunk, step and element ratios.
public enum GaussianLogDensity {
    public static let logTwoPi: Float = 1.8378770664093453

    /// Elementwise log-density of `x` under `N(mean, std²)`; `std` broadcasts (a scalar, a per-row
    /// `[N, 1]` column, or a full tensor) and must be positive.
    public static func elementwise(_ x: Tensor, mean: Tensor, std: Tensor) -> Tensor {
        let z = (x - mean) / std
        return (z.square() + logTwoPi) * -0.5 - std.log()
    }

    /// Elementwise log-density of the standard normal (the initial noise term of a chain).
    public static func standardNormal(_ x: Tensor) -> Tensor {
        (x.square() + logTwoPi) * -0.5
    }

    /// Gaussian entropy per dimension, `log σ + ½(1 + log 2π)`.
    public static func entropy(std: Tensor) -> Tensor {
        std.log() + 0.5 * (1 + logTwoPi)
    }
}
