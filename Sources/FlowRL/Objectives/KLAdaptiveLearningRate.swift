/// The actor's learning rate fitted to the trust region between updates (docs/algorithms.md §4.1),
/// as legged-robot PPO trainers adapt theirs to a KL target: Adam moves every parameter by about
/// the learning rate per step whatever the gradient's scale, so the rate, not the loss, decides how
/// many steps fit under `rl.kl_target`. An update that the KL stop ended inside its first epoch took
/// steps too large for the policy's current sensitivity: the rate falls by `factor`. An update that
/// ran every epoch and stayed below half the target could have taken larger ones: the rate rises by
/// `factor`. The rate stays within `[base/100, 10·base]` of the configured one.
///
/// ```swift
/// let next = KLAdaptiveLearningRate.next(1e-4, base: 1e-4, stoppedInFirstEpoch: true, ranEveryEpoch: false,
///                                        approxKL: 0, target: 0.02)   // 1e-4 / 1.5
/// ```
public enum KLAdaptiveLearningRate {
    public static let factor: Float = 1.5

    public static func next(_ rate: Float, base: Float, stoppedInFirstEpoch: Bool, ranEveryEpoch: Bool,
                            approxKL: Double, target: Float) -> Float {
        var r = rate
        if stoppedInFirstEpoch {
            r = rate / factor
        } else if ranEveryEpoch && approxKL < Double(target) / 2 {
            r = rate * factor
        }
        return min(max(r, base / 100), base * 10)
    }
}
