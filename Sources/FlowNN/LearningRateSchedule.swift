#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Learning rate as a function of the optimizer step (1-based: the first update uses step 1).
///
/// ```swift
/// let schedule = LearningRateSchedule.warmupCosine(peak: 3e-4, warmupSteps: 100, totalSteps: 10_000, final: 3e-5)
/// schedule.rate(at: 50)     // 1.5e-4, halfway through the warm-up
/// ```
public enum LearningRateSchedule: Sendable, Equatable, Codable {
    case constant(Float)
    /// Linear warm-up from 0 to `peak` over `warmupSteps`, then cosine decay to `final` at `totalSteps`
    /// (held at `final` afterwards).
    case warmupCosine(peak: Float, warmupSteps: Int, totalSteps: Int, final: Float)
    /// Linear warm-up, then linear decay to `final` at `totalSteps`.
    case warmupLinear(peak: Float, warmupSteps: Int, totalSteps: Int, final: Float)

    public func rate(at step: Int) -> Float {
        switch self {
        case .constant(let lr):
            return lr
        case .warmupCosine(let peak, let warmup, let total, let final):
            if let w = Self.warmup(step, warmup, peak) { return w }
            let p = Self.progress(step, warmup, total)
            return final + (peak - final) * 0.5 * (1 + cosf(Float.pi * p))
        case .warmupLinear(let peak, let warmup, let total, let final):
            if let w = Self.warmup(step, warmup, peak) { return w }
            return peak + (final - peak) * Self.progress(step, warmup, total)
        }
    }

    static func warmup(_ step: Int, _ warmup: Int, _ peak: Float) -> Float? {
        warmup > 0 && step < warmup ? peak * Float(step) / Float(warmup) : nil
    }

    static func progress(_ step: Int, _ warmup: Int, _ total: Int) -> Float {
        let span = max(total - warmup, 1)
        return min(max(Float(step - warmup) / Float(span), 0), 1)
    }
}
