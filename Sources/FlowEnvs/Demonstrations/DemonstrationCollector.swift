/// Runs a scripted expert in a vector of environments and keeps its successful episodes (or, with
/// `successOnly` false, every episode it finishes).
///
/// ```swift
/// let demos = try DemonstrationCollector(envID: "push", numEnvs: 32).collect(episodes: 50, seed: 0)
/// ```
///
/// Environment `i` is reset with seed `seed·1_000_003 + i` (its later episodes follow its own seed
/// stream, see `VectorEnv`). Finished episodes are taken in the order they finish, ties by
/// environment index, so a collection is a deterministic function of the arguments. Failed
/// episodes are counted and dropped (kept, marked failed, when `successOnly` is false); episodes
/// still running when enough are collected are dropped.
///
/// A multi-task suite gets each of its tasks an equal share of the episodes (the first tasks one
/// more when the count does not divide), among the tasks its environments run: taken in finishing
/// order alone, the quick tasks (reaching) filled the whole collection, and the slow ones had no
/// demonstration to learn from (docs/results/builtin-tasks.md).
public struct DemonstrationCollector: Sendable, Equatable {
    public var envID: String
    public var numEnvs: Int
    public var noiseStd: Float
    /// Keep only the episodes the expert finished successfully; false keeps failed ones too.
    public var successOnly: Bool
    /// Give up after this many environment steps without reaching the requested count.
    public var maxSteps: Int
    /// How the environments are built; `options.observation` decides what the episodes record
    /// (state vectors, or camera frames the expert never reads: it plans from the state).
    public var options: BuiltinEnvironments.Options

    public init(envID: String, numEnvs: Int = 32, noiseStd: Float = defaultExpertNoiseStd, successOnly: Bool = true,
                maxSteps: Int = 5_000_000, options: BuiltinEnvironments.Options = .init()) {
        self.options = options
        self.envID = envID
        self.numEnvs = numEnvs
        self.noiseStd = noiseStd
        self.successOnly = successOnly
        self.maxSteps = maxSteps
    }

    public struct Report: Sendable, Equatable {
        public var attempted: Int
        public var succeeded: Int
        public var environmentSteps: Int
    }

    public func collect(episodes wanted: Int, seed: UInt64) throws -> DemonstrationDataset {
        try collectWithReport(episodes: wanted, seed: seed).dataset
    }

    public func collectWithReport(episodes wanted: Int, seed: UInt64) throws -> (dataset: DemonstrationDataset, report: Report) {
        var env = try EnvironmentRegistry.make(id: envID, numEnvs: numEnvs, options: options)
        if env.spec.numTasks > numEnvs {
            // A suite of more tasks than environments (MetaWorld MT50 with 16) gets one environment
            // per task, so that every task has demonstrations.
            let tasks = env.spec.numTasks
            env.close()
            env = try EnvironmentRegistry.make(id: envID, numEnvs: tasks, options: options)
        }
        defer { env.close() }
        let numEnvs = env.numEnvs
        let expert = try EnvironmentRegistry.makeExpert(for: env, noiseStd: noiseStd, seed: seed)
        let spec = env.spec, od = spec.observationDim, ad = spec.actionDim
        var dataset = DemonstrationDataset(envID: spec.id, observationDim: od, actionDim: ad,
                                           source: "scripted expert, noise std \(noiseStd), seed \(seed)",
                                           taskNames: spec.tasks.map(\.name), image: spec.image)
        try env.reset(seeds: (0..<numEnvs).map { seed &* 1_000_003 &+ UInt64($0) })
        var obs = [[Float]](repeating: [], count: numEnvs)
        var act = [[Float]](repeating: [], count: numEnvs)
        var rew = [[Float]](repeating: [], count: numEnvs)
        var actions = [Float](repeating: 0, count: numEnvs * ad)
        var report = Report(attempted: 0, succeeded: 0, environmentSteps: 0)
        let buffers = env.buffers
        let quota = Self.taskQuotas(episodes: wanted, tasksRunning: Set((0..<numEnvs).map { Int(buffers.taskIndices[$0]) }),
                                    taskCount: spec.numTasks)
        var kept = [Int](repeating: 0, count: spec.numTasks)
        while dataset.episodeCount < wanted {
            guard report.environmentSteps < maxSteps else {
                throw DemonstrationCollectorError.tooFewSuccesses(envID: envID, wanted: wanted, got: dataset.episodeCount,
                                                                 attempted: report.attempted)
            }
            expert.act(buffers, into: &actions)
            var tasks = [Int](repeating: 0, count: numEnvs)
            for i in 0..<numEnvs {
                obs[i] += buffers.observation(ofEnv: i)
                act[i] += actions[(i * ad)..<((i + 1) * ad)]
                tasks[i] = Int(buffers.taskIndices[i])
            }
            try env.step(actions: actions)
            report.environmentSteps += numEnvs
            for i in 0..<numEnvs {
                rew[i].append(buffers.rewards[i])
                guard buffers.isDone(i) else { continue }
                // An episode of a task whose share is full is neither attempted nor kept, so the
                // report's success rate stays the expert's.
                let wantedTask = kept[tasks[i]] < quota[tasks[i]]
                if wantedTask { report.attempted += 1 }
                let succeeded = buffers.success[i]
                if (succeeded || !successOnly) && dataset.episodeCount < wanted && wantedTask {
                    if succeeded { report.succeeded += 1 }
                    kept[tasks[i]] += 1
                    // Actions as executed: the environment clips to its bounds, so store the clipped ones.
                    let clipped = act[i].enumerated().map { j, a in min(max(a, spec.action.low[j % ad]), spec.action.high[j % ad]) }
                    dataset.append(observations: obs[i], actions: clipped, rewards: rew[i], success: succeeded, task: tasks[i])
                }
                obs[i].removeAll(keepingCapacity: true)
                act[i].removeAll(keepingCapacity: true)
                rew[i].removeAll(keepingCapacity: true)
            }
        }
        return (dataset, report)
    }

    /// Episodes to keep per task index: all of them for a single task; for a suite an equal share
    /// over the tasks that run (the first ones one more when `episodes` does not divide), none for
    /// tasks no environment runs.
    static func taskQuotas(episodes: Int, tasksRunning: Set<Int>, taskCount: Int) -> [Int] {
        guard taskCount > 1 else { return [episodes] }
        let running = tasksRunning.sorted()
        var quota = [Int](repeating: 0, count: taskCount)
        for (k, t) in running.enumerated() {
            quota[t] = episodes / running.count + (k < episodes % running.count ? 1 : 0)
        }
        return quota
    }
}

public enum DemonstrationCollectorError: Error, CustomStringConvertible, Equatable {
    case tooFewSuccesses(envID: String, wanted: Int, got: Int, attempted: Int)

    public var description: String {
        switch self {
        case .tooFewSuccesses(let id, let wanted, let got, let attempted):
            return "The expert for '\(id)' succeeded in only \(got) of \(attempted) episodes before the step limit; \(wanted) were requested. Lower the expert noise or raise the step limit."
        }
    }
}
