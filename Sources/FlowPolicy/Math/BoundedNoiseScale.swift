import FlowNN

/// Flow-Noise's bounded noise scale (docs/algorithms.md §3.3): the noise network's raw output `y` is
/// squashed into a log-variance
/// `logvar = logvar_min + (logvar_max − logvar_min)·(tanh(y) + 1)/2`, and `σ = exp(logvar/2)`,
/// so `σ ∈ [σ_min, σ_max]` whatever the network outputs (no NaN from `log σ` at any raw value).
public struct BoundedNoiseScale: Sendable, Equatable, Codable {
    public var sigmaMin: Float
    public var sigmaMax: Float

    public init(sigmaMin: Float = 0.08, sigmaMax: Float = 0.16) {
        precondition(sigmaMin > 0 && sigmaMax >= sigmaMin, "need 0 < σ_min ≤ σ_max")
        self.sigmaMin = sigmaMin
        self.sigmaMax = sigmaMax
    }

    var logVarMin: Float { 2 * logf(sigmaMin) }
    var logVarMax: Float { 2 * logf(sigmaMax) }

    public func logVariance(raw: Tensor) -> Tensor {
        (raw.tanh() + 1) * (0.5 * (logVarMax - logVarMin)) + logVarMin
    }

    public func sigma(raw: Tensor) -> Tensor {
        (logVariance(raw: raw) * 0.5).exp()
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
