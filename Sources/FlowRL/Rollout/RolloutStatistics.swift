/// What happened in the rollout's environments, for logging.
public struct RolloutStatistics: Sendable {
    public var environmentSteps = 0
    public var decisions = 0
    public var episodesFinished = 0
    public var successes = 0
    public var returnSum: Double = 0
    public var lengthSum: Double = 0
    /// Observations or rewards that were NaN or infinite (the update is skipped when > 0).
    public var nonFiniteValues = 0
    /// Mean noise std of the recorded transitions; nil when the sampler was deterministic (ODE).
    public var meanSigma: Double? = nil

    /// Finished episodes and successes per task index (multi-task suites), from the task of the
    /// decision that was executing when the episode ended.
    public var taskEpisodes: [Int: Int] = [:]
    public var taskSuccesses: [Int: Int] = [:]

    mutating func countEpisode(task: Int, success: Bool) {
        taskEpisodes[task, default: 0] += 1
        if success { taskSuccesses[task, default: 0] += 1 }
    }

    public var successRate: Double { episodesFinished == 0 ? .nan : Double(successes) / Double(episodesFinished) }
    public var meanReturn: Double { episodesFinished == 0 ? .nan : returnSum / Double(episodesFinished) }
    public var meanLength: Double { episodesFinished == 0 ? .nan : lengthSum / Double(episodesFinished) }
}
