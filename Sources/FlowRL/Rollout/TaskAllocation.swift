/// How a multi-task suite's training environments are dealt to its tasks at each iteration
/// (`rl.task_allocation: success`, docs/algorithms.md §4.4).
///
/// ```swift
/// var allocation = TaskAllocation(taskCount: 10, floor: 0.1)
/// allocation.record(successes: [0: 6, 1: 0], episodes: [0: 6, 1: 5])   // one iteration's training episodes
/// let tasks = allocation.assignment(numEnvs: 20, groupSize: 1)         // task of each environment
/// ```
///
/// With a fixed assignment (environment i runs task i mod T) a task that already succeeds in every
/// episode takes as many environment steps as one that never does, though only the second can still
/// improve. Here each task keeps an exponentially decayed count of its training episodes and
/// successes (decay `decay` per iteration, so the last five or so iterations count), and its weight is
/// `max(1 − ŝ, floor)` with ŝ the smoothed success rate (1 for a task with no episodes yet). Every
/// task gets one environment (GRPO: one group), so none is forgotten unseen and each keeps a measured
/// success rate; the rest are apportioned by weight (largest remainders, ties to the lower task
/// index). Environments are dealt in task order, task 0's first. The allocation is a function of the
/// recorded counts alone, which the trainer checkpoints, so a resumed run deals the same.
public struct TaskAllocation: Equatable, Sendable {
    /// Decayed successes and episodes per task.
    public private(set) var successes: [Double]
    public private(set) var episodes: [Double]
    /// The smallest weight a task gets, however often it succeeds.
    public let floor: Double
    /// The factor by which earlier iterations' counts are multiplied at each new iteration.
    public static let decay = 0.8

    public init(taskCount: Int, floor: Double) {
        precondition(taskCount >= 1 && floor > 0 && floor <= 1, "at least one task and a floor in (0, 1]")
        successes = [Double](repeating: 0, count: taskCount)
        episodes = successes
        self.floor = floor
    }

    /// Restores counts saved from `successes` and `episodes`.
    public init(successes: [Double], episodes: [Double], floor: Double) {
        precondition(successes.count == episodes.count && !successes.isEmpty, "one count per task")
        (self.successes, self.episodes, self.floor) = (successes, episodes, floor)
    }

    public var taskCount: Int { successes.count }

    /// Adds one iteration's finished training episodes (per task index; tasks not present had none).
    public mutating func record(successes newSuccesses: [Int: Int], episodes newEpisodes: [Int: Int]) {
        for t in 0..<taskCount {
            successes[t] = Self.decay * successes[t] + Double(newSuccesses[t] ?? 0)
            episodes[t] = Self.decay * episodes[t] + Double(newEpisodes[t] ?? 0)
        }
    }

    /// Each task's weight: `max(1 − ŝ, floor)`, or 1 before its first episode.
    public var weights: [Double] {
        (0..<taskCount).map { t in episodes[t] > 0 ? max(1 - successes[t] / episodes[t], floor) : 1 }
    }

    /// The task of each of `numEnvs` environments, in groups of `groupSize` that share a task.
    /// Needs `numEnvs / groupSize ≥ taskCount`.
    public func assignment(numEnvs: Int, groupSize: Int) -> [Int] {
        let groups = numEnvs / groupSize
        precondition(groupSize >= 1 && numEnvs % groupSize == 0 && groups >= taskCount,
                     "one environment group per task at least")
        let spare = groups - taskCount
        let w = weights, total = w.reduce(0, +)
        let quotas = w.map { Double(spare) * $0 / total }
        var counts = quotas.map { 1 + Int($0.rounded(.down)) }
        let remaining = groups - counts.reduce(0, +)
        let byRemainder = (0..<taskCount).sorted { a, b in
            let ra = quotas[a] - quotas[a].rounded(.down), rb = quotas[b] - quotas[b].rounded(.down)
            return ra != rb ? ra > rb : a < b
        }
        for t in byRemainder.prefix(remaining) { counts[t] += 1 }
        return counts.enumerated().flatMap { t, c in [Int](repeating: t, count: c * groupSize) }
    }
}
