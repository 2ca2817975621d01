import FlowConfig
import FlowNN

/// Conditional flow matching (docs/algorithms.md §2): with `x_t = t·ε + (1 − t)·a` and target
/// velocity `u = ε − a`, the loss of a pair is `mean_dims ‖v_θ(x_t, t, o) − u‖²`.
public enum ConditionalFlowMatching {
    /// `x_t = t·ε + (1 − t)·a`; `t` is a scalar tensor or a per-row `[N, 1]` column.
    public static func interpolate(action a: Tensor, noise eps: Tensor, t: Tensor) -> Tensor {
        eps * t + a * (1 - t)
    }

    /// `u = ε − a`.
    public static func targetVelocity(action a: Tensor, noise eps: Tensor) -> Tensor { eps - a }

    /// Per-row loss `mean over the last axis of (v − (ε − a))²` for `[N, d]` inputs: `[N]`.
    /// This is the per-pair loss FPO stores and recomputes (§4.2).
    public static func perRowLoss(predicted v: Tensor, action a: Tensor, noise eps: Tensor) -> Tensor {
        (v - targetVelocity(action: a, noise: eps)).square().mean(axis: -1)
    }

    /// How flow times are drawn for training.
    public enum TimeSampling: String, Codable, ConfigEnum {
        /// `t ~ U(0, 1)`.
        case uniform
        /// π0: `t = 0.999·s + 0.001`, `s ~ Beta(1.5, 1)` (mass leans toward noisy times near 1).
        case beta

        public func sample(_ n: Int, rng: inout RandomGenerator) -> [Float] {
            switch self {
            case .uniform: return (0..<n).map { _ in rng.nextUniform() }
            case .beta: return (0..<n).map { _ in Float(0.999 * rng.nextBeta(1.5, 1.0) + 0.001) }
            }
        }
    }
}
