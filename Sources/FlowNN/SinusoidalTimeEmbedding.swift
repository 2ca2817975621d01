#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Sinusoidal embedding of a scalar time `t ∈ [0, 1]` (Transformer/diffusion style): for
/// `i < dim/2`, `[sin(s·t·ωᵢ), cos(s·t·ωᵢ)]` with `ωᵢ = maxPeriod^(−i/(dim/2))` and `s = scale`.
/// No parameters; typically followed by an MLP.
public struct SinusoidalTimeEmbedding: Sendable {
    public let dim: Int
    public let maxPeriod: Float
    public let scale: Float

    public init(dim: Int, maxPeriod: Float = 10_000, scale: Float = 1000) {
        precondition(dim >= 2 && dim % 2 == 0, "time embedding dim must be even")
        self.dim = dim
        self.maxPeriod = maxPeriod
        self.scale = scale
    }

    /// `t` of shape `[B]` (or `[B, 1]`) ↦ `[B, dim]`.
    public func callAsFunction(_ t: Tensor) -> Tensor {
        let b = t.count
        let half = dim / 2
        let times = t.scalars
        return Tensor.filled(shape: [b, dim]) { o in
            for r in 0..<b {
                for i in 0..<half {
                    let freq = expf(-logf(maxPeriod) * Float(i) / Float(half))
                    let arg = scale * times[r] * freq
                    o[r * dim + i] = sinf(arg)
                    o[r * dim + half + i] = cosf(arg)
                }
            }
        }
    }
}
