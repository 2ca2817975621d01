/// Success rates, returns and lengths of finished episodes, per task and on average (MT10 style).
///
/// ```swift
/// var stats = EpisodeStatistics(env: env)
/// for _ in 0..<steps { ...; try env.step(actions: a); stats.record(env.buffers) }
/// stats.successRate(task: 3)        // fraction of task 3's finished episodes that succeeded
/// stats.averageSuccessRate          // mean over tasks of the per-task success rate
/// ```
///
/// An episode counts as successful if `success` was set in any of its steps (the built-in tasks
/// terminate on success; simulators behind the bridge may not). Call `record` once after every step.
public struct EpisodeStatistics: Sendable {
    public let numTasks: Int
    /// Finished episodes per task.
    public private(set) var episodes: [Int]
    /// Successful finished episodes per task.
    public private(set) var successes: [Int]
    /// Sum of undiscounted episode returns per task.
    public private(set) var returnSums: [Double]
    /// Sum of episode lengths per task.
    public private(set) var lengthSums: [Int]
    private var runningReturn: [Double]
    private var runningLength: [Int]
    private var runningSuccess: [Bool]

    public init(numEnvs: Int, numTasks: Int) {
        self.numTasks = numTasks
        episodes = [Int](repeating: 0, count: numTasks)
        successes = episodes
        returnSums = [Double](repeating: 0, count: numTasks)
        lengthSums = episodes
        runningReturn = [Double](repeating: 0, count: numEnvs)
        runningLength = [Int](repeating: 0, count: numEnvs)
        runningSuccess = [Bool](repeating: false, count: numEnvs)
    }

    public init(env: any VectorEnv) {
        self.init(numEnvs: env.numEnvs, numTasks: env.spec.numTasks)
    }

    /// Accounts for the step just taken (call after `step`, not after `reset`).
    public mutating func record(_ buffers: VectorEnvBuffers) {
        precondition(buffers.numEnvs == runningReturn.count, "EpisodeStatistics was made for a different numEnvs")
        for i in 0..<buffers.numEnvs {
            runningReturn[i] += Double(buffers.rewards[i])
            runningLength[i] += 1
            runningSuccess[i] = runningSuccess[i] || buffers.success[i]
            if buffers.terminated[i] || buffers.truncated[i] {
                let t = Int(buffers.taskIndices[i])
                episodes[t] += 1
                if runningSuccess[i] { successes[t] += 1 }
                returnSums[t] += runningReturn[i]
                lengthSums[t] += runningLength[i]
                runningReturn[i] = 0
                runningLength[i] = 0
                runningSuccess[i] = false
            }
        }
    }

    /// Finished episodes over all tasks.
    public var totalEpisodes: Int { episodes.reduce(0, +) }

    /// Success rate of `task`'s finished episodes (0 when none finished).
    public func successRate(task: Int) -> Double {
        episodes[task] == 0 ? 0 : Double(successes[task]) / Double(episodes[task])
    }

    /// Mean episode length of `task`.
    public func meanLength(task: Int) -> Double {
        episodes[task] == 0 ? 0 : Double(lengthSums[task]) / Double(episodes[task])
    }

    /// Mean episode return of `task`.
    public func meanReturn(task: Int) -> Double {
        episodes[task] == 0 ? 0 : returnSums[task] / Double(episodes[task])
    }

    /// The mean over tasks that finished at least one episode of their success rate (MT10's metric).
    public var averageSuccessRate: Double {
        let seen = (0..<numTasks).filter { episodes[$0] > 0 }
        return seen.isEmpty ? 0 : seen.map { successRate(task: $0) }.reduce(0, +) / Double(seen.count)
    }

    /// Successful over all finished episodes, pooled across tasks.
    public var pooledSuccessRate: Double {
        totalEpisodes == 0 ? 0 : Double(successes.reduce(0, +)) / Double(totalEpisodes)
    }
}
