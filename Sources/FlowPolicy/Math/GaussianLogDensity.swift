#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import FlowNN

/// Diagonal Gaussian log-density per element (docs/algorithms.md §1):
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

    /// A draw `x = mean + std·z` and its elementwise log-density under `N(mean, std²)`, in one pass
    /// over the elements (sampling only: no gradient is recorded). `std` is `[N, 1]` (one σ per row)
    /// or the shape of `mean`. With `rowMask`, rows whose flag is false are deterministic steps:
    /// their density is evaluated with σ = 1 and then zeroed, as `DenoisingStep.logDensity` does.
    ///
    /// Same values, bit for bit, as the unfused
    /// `x = mean + std * z;  elementwise(x, mean: mean, std: std)` — every element goes through the
    /// same float operations in the same order (`x − μ`, `/σ`, square, `+ log 2π`, `·(−½)`, `− log σ`).
    public static func sample(mean: Tensor, std: Tensor, noise z: Tensor, rowMask: [Bool]? = nil) -> (sample: Tensor, logDensity: Tensor) {
        precondition(!mean.isTracked && !std.isTracked, "GaussianLogDensity.sample records no gradient; use elementwise")
        precondition(mean.rank == 2 && z.shape == mean.shape, "mean and noise must be the same [N, d], got \(mean.shape), \(z.shape)")
        let n = mean.shape[0], d = mean.shape[1]
        let perRow = std.shape == [n, 1]
        precondition(perRow || std.shape == mean.shape, "std must be [\(n), 1] or \(mean.shape), got \(std.shape)")
        if let rowMask { precondition(rowMask.count == n, "one mask flag per row") }
        var logp = Tensor.zeros([0])
        let x = mean.withUnsafeBufferPointer { mu in
            std.withUnsafeBufferPointer { sd in
                z.withUnsafeBufferPointer { zz in
                    Tensor.filled(shape: mean.shape) { xs in
                        logp = Tensor.filled(shape: mean.shape) { lp in
                            let half: Float = -0.5
                            for i in 0..<n {
                                let keep = rowMask?[i] ?? true
                                let maskValue: Float = keep ? 1 : 0
                                let rowSigma = perRow ? sd[i] : 0
                                let rowLogSigma = perRow ? logf(keep ? rowSigma : 1) : 0
                                for j in 0..<d {
                                    let k = i * d + j
                                    let sigma = perRow ? rowSigma : sd[k]
                                    let xk = mu[k] + sigma * zz[k]
                                    xs[k] = xk
                                    let sigmaUsed = keep ? sigma : 1
                                    let logSigma = perRow ? rowLogSigma : logf(sigmaUsed)
                                    let u = (xk - mu[k]) / sigmaUsed
                                    let value = (u * u + logTwoPi) * half - logSigma
                                    lp[k] = rowMask == nil ? value : value * maskValue
                                }
                            }
                        }
                    }
                }
            }
        }
        return (x, logp)
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
