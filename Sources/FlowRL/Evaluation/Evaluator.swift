import Foundation
import FlowDistributed
import FlowEnvs
import FlowNN
import FlowPolicy

/// Success rate, return and episode length of a policy over a fixed set of seeded episodes.
///
/// ```swift
/// let report = try Evaluator(envID: "push", episodes: 200).evaluate(policy)
/// print(report.summary)   // "success 61.0% [54.1, 67.5] (122/200), return …"
/// ```
///
/// Episode `i` runs in environment `i` reset with seed `seed + i`, so two evaluations with the same
/// arguments see the same initial states; in a multi-task suite it runs task `i mod T`, so every task
/// gets its share of the episodes however they are split into batches. A suite that can choose its
/// environments' tasks is given them per batch; one that cannot (MetaWorld with a camera) runs
/// environment `j` on task `j mod T`, so a batch that is not the last is rounded down to a whole
/// number of rounds of the tasks. Chunks are executed open-loop: an environment asks for a
/// new chunk when its current one is used up, and a chunk is abandoned when its episode ends (the
/// rest is never executed). Sampling is the deterministic ODE by default, or any `SamplingMode`.
///
/// Every episode draws its initial noises from its own generator (split from `samplingSeed` by the
/// episode index), so an episode's outcome under the ODE sampler depends on the policy and the
/// episode alone — not on how many episodes are evaluated or which ones share a batch — and the
/// first 50 episodes of a 200-episode evaluation are exactly a 50-episode evaluation.
public struct Evaluator {
    public var envID: String
    public var episodes: Int
    public var seed: UInt64
    public var mode: SamplingMode
    /// Environments stepped together (episodes are split over batches of this size); under the ODE
    /// sampler the outcomes do not depend on it (the stochastic samplers' step noise is drawn per batch).
    public var batchSize: Int
    /// Builds the environments of one batch (their number is the argument); by default the registry's
    /// `envID` observing what the policy was trained on.
    public var makeEnvironments: ((Int, FlowPolicy) throws -> any VectorEnv)?
    public static let defaultBatchSize = 512

    public init(envID: String, episodes: Int = 200, seed: UInt64 = 1_000_000, mode: SamplingMode = .ode,
                batchSize: Int = Evaluator.defaultBatchSize,
                makeEnvironments: ((Int, FlowPolicy) throws -> any VectorEnv)? = nil) {
        precondition(batchSize >= 1, "evaluate at least one environment at a time")
        (self.envID, self.episodes, self.seed, self.mode, self.batchSize) = (envID, episodes, seed, mode, batchSize)
        self.makeEnvironments = makeEnvironments
    }

    /// Given the ranks of a data-parallel job, rank r runs its contiguous share of the episodes and
    /// every rank returns the whole report (under the ODE sampler the one a single process gives).
    public func evaluate(_ policy: FlowPolicy, samplingSeed: UInt64 = 0,
                         communicator: any Communicator = SingleProcess()) throws -> EvaluationReport {
        precondition(episodes >= 1, "evaluate at least one episode")
        let (ranks, rank) = (communicator.size, communicator.rank)
        let share = ranks > 1 ? (episodes * rank / ranks)..<(episodes * (rank + 1) / ranks) : 0..<episodes
        var (outcomes, taskNames) = try evaluate(policy, episodes: share, samplingSeed: samplingSeed)
        if ranks > 1 {
            // Four numbers an episode, gathered in rank order: episode order.
            var mine: [Float] = []
            for o in outcomes { mine += [Float(o.task), o.success ? 1 : 0, o.return, Float(o.length)] }
            let all: [Float] = communicator.allGatherVariable(mine).flatMap { $0 }
            outcomes = stride(from: 0, to: all.count, by: 4).map { (k: Int) -> EpisodeOutcome in
                EpisodeOutcome(task: Int(all[k]), success: all[k + 1] != 0, return: all[k + 2], length: Int(all[k + 3]))
            }
            if taskNames.isEmpty {  // a rank with no episode of its own
                let env = try environments(1, for: policy)
                taskNames = env.spec.tasks.map(\.name)
                env.close()
            }
        }
        return EvaluationReport(outcomes: outcomes, taskNames: taskNames)
    }

    /// Runs `range`'s episodes (episode i as in every evaluation: seed, task, noise).
    private func evaluate(_ policy: FlowPolicy, episodes range: Range<Int>, samplingSeed: UInt64) throws
        -> (outcomes: [EpisodeOutcome], taskNames: [String]) {
        var outcomes: [EpisodeOutcome] = []
        var rng = RandomGenerator(seed: samplingSeed)
        let base = RandomGenerator(seed: samplingSeed)
        // A suite whose environments are large (LIBERO) is evaluated in batches that fit into memory.
        var start = range.lowerBound, batch = min(batchSize, EnvironmentRegistry.environmentsThatFit(envID) ?? batchSize)
        let episodes = range.upperBound
        var taskNames: [String] = []
        while start < episodes {
            let n = min(batch, episodes - start)
            let env = try environments(n, for: policy)
            taskNames = env.spec.tasks.map(\.name)
            // Episode i runs task i mod T. Without a choice of tasks a suite's environment j runs task
            // j mod T, so every batch but the last must start at a multiple of T: the first one is
            // rounded down (once; it is built again at that size).
            let t = taskNames.count
            let choosesTasks = t > 1 && env.canChooseTasks
            if t > 1 && !choosesTasks && start % t != 0 {  // a rank's share of a data-parallel evaluation
                env.close()
                throw EvaluationError.shareNotAlignedToTasks(envID: envID, firstEpisode: start, tasks: t)
            }
            if !choosesTasks && start == range.lowerBound && episodes - start > batch && batch % t != 0 {
                env.close()
                guard batch > t else { throw EvaluationError.batchSmallerThanTaskCount(envID: envID, batch: batch, tasks: t) }
                batch -= batch % t
                continue
            }
            let seeds = (0..<n).map { seed &+ UInt64(start + $0) }
            if choosesTasks && start % t != 0 {
                try env.reset(seeds: seeds, tasks: (0..<n).map { (start + $0) % t })
            } else {
                try env.reset(seeds: seeds)
            }
            var episodeNoise = (0..<n).map { base.split(key: UInt64(start + $0)) }
            outcomes += try Self.runOneEpisodeEach(env, policy: policy, mode: mode, initialNoise: &episodeNoise, rng: &rng)
            env.close()
            start += n
        }
        return (outcomes, taskNames)
    }

    /// `n` environments of the evaluated suite for `policy`: `makeEnvironments`, or the registry's.
    func environments(_ n: Int, for policy: FlowPolicy) throws -> any VectorEnv {
        if let makeEnvironments { return try makeEnvironments(n, policy) }
        return try EnvironmentRegistry.make(id: envID, numEnvs: n, options: BuiltinEnvironments.Options().observing(for: policy))
    }

    /// Runs every environment of `env` (already reset) for exactly one episode; environment i's
    /// initial noises come from `initialNoise[i]`, the stochastic samplers' step noise from `rng`.
    /// `afterStep` sees, after every step, the environments whose episode that step advanced.
    static func runOneEpisodeEach(_ env: any VectorEnv, policy: FlowPolicy, mode: SamplingMode,
                                  initialNoise: inout [RandomGenerator], rng: inout RandomGenerator,
                                  afterStep: (([Int]) -> Void)? = nil) throws -> [EpisodeOutcome] {
        let n = env.numEnvs, ad = env.spec.actionDim, od = env.spec.observationDim, h = policy.config.chunkLength
        guard od == policy.config.observationDim, ad == policy.config.actionDim else {
            throw EvaluationError.policyMismatch(envID: env.spec.id, envObs: od, envAct: ad,
                                                 policyObs: policy.config.observationDim, policyAct: policy.config.actionDim)
        }
        let buffers = env.buffers
        let sampler = ChunkSampler(mode: mode)
        var chunks = [Float](repeating: 0, count: n * h * ad)
        var position = [Int](repeating: h, count: n)  // h: needs a new chunk
        var active = [Bool](repeating: true, count: n)
        var outcomes = (0..<n).map { EpisodeOutcome(task: Int(buffers.taskIndices[$0]), success: false, return: 0, length: 0) }
        var actions = [Float](repeating: 0, count: n * ad)
        while active.contains(true) {
            let need = (0..<n).filter { active[$0] && position[$0] == h }
            if !need.isEmpty {
                var obs = [Float](repeating: 0, count: need.count * od)
                for (r, i) in need.enumerated() {
                    let row = buffers.observation(ofEnv: i)
                    for j in 0..<od { obs[r * od + j] = row[j] }
                }
                let width = policy.config.chunkWidth
                let x0 = Tensor(need.flatMap { Tensor.randomNormal([1, width], rng: &initialNoise[$0]).scalars }, shape: [need.count, width])
                let sample = try sampler.sample(policy, observations: Tensor(obs, shape: [need.count, od]),
                                                taskIndices: need.map { Int(buffers.taskIndices[$0]) }, initialNoise: x0, rng: &rng)
                sample.actions.withUnsafeBufferPointer { a in
                    for (r, i) in need.enumerated() {
                        for k in 0..<(h * ad) { chunks[i * h * ad + k] = a[r * h * ad + k] }
                        position[i] = 0
                    }
                }
            }
            for i in 0..<n {
                for j in 0..<ad {
                    actions[i * ad + j] = active[i] ? chunks[(i * h + position[i]) * ad + j] : 0
                }
            }
            try env.step(actions: actions)
            afterStep?((0..<n).filter { active[$0] })
            for i in 0..<n where active[i] {
                position[i] += 1
                outcomes[i].return += buffers.rewards[i]
                outcomes[i].length += 1
                if buffers.isDone(i) {
                    outcomes[i].success = buffers.success[i]
                    active[i] = false
                }
            }
        }
        return outcomes
    }
}

/// One evaluated episode.
public struct EpisodeOutcome: Sendable, Equatable {
    public var task: Int
    public var success: Bool
    public var `return`: Float
    public var length: Int

    public init(task: Int, success: Bool, return: Float, length: Int) {
        self.task = task
        self.success = success
        self.return = `return`
        self.length = length
    }
}

/// Evaluation results with a 95% Wilson confidence interval for the success rate.
public struct EvaluationReport: Sendable {
    public let outcomes: [EpisodeOutcome]
    public let taskNames: [String]

    public init(outcomes: [EpisodeOutcome], taskNames: [String]) {
        self.outcomes = outcomes
        self.taskNames = taskNames
    }

    public var episodes: Int { outcomes.count }
    public var successes: Int { outcomes.filter(\.success).count }
    public var successRate: Double { Double(successes) / Double(max(episodes, 1)) }
    public var confidenceInterval: (low: Double, high: Double) { wilsonInterval(successes: successes, trials: episodes) }
    public var meanReturn: Double { outcomes.reduce(0) { $0 + Double($1.return) } / Double(max(episodes, 1)) }
    public var meanLength: Double { outcomes.reduce(0) { $0 + Double($1.length) } / Double(max(episodes, 1)) }

    /// Per-task success (multi-task suites), in task order; tasks with no episode are omitted.
    public var perTask: [(task: String, successes: Int, episodes: Int)] {
        (0..<max(taskNames.count, 1)).compactMap { t in
            let rows = outcomes.filter { $0.task == t }
            guard !rows.isEmpty else { return nil }
            return (t < taskNames.count ? taskNames[t] : "task \(t)", rows.filter(\.success).count, rows.count)
        }
    }

    /// The metrics of this evaluation as `metrics.jsonl` records them: `<prefix>success`, `episodes`,
    /// `successes`, `return`, `length`, and for a multi-task suite `<prefix>success_<task>` per task.
    public func metrics(prefix: String = "eval_") -> [String: Double] {
        var m = ["success": successRate, "episodes": Double(episodes), "successes": Double(successes),
                 "return": meanReturn, "length": meanLength].reduce(into: [String: Double]()) { $0[prefix + $1.key] = $1.value }
        let tasks = perTask
        if tasks.count > 1 {
            for t in tasks { m[prefix + "success_" + t.task] = Double(t.successes) / Double(t.episodes) }
        }
        return m
    }

    /// The per-task table of a multi-task evaluation, one aligned line per task (none for one task):
    /// `  push-left        3/20   15.0% [5.2, 36.0]`, the interval from the task's own episodes.
    public var perTaskTable: [String] {
        let rows = perTask
        guard rows.count > 1 else { return [] }
        let nameWidth = rows.map(\.task.count).max()!
        let countWidth = rows.map { "\($0.successes)/\($0.episodes)".count }.max()!
        return rows.map { t in
            let ci = wilsonInterval(successes: t.successes, trials: t.episodes)
            let count = "\(t.successes)/\(t.episodes)"
            let rate = percent(Double(t.successes) / Double(t.episodes))
            return "  " + t.task.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                + String(repeating: " ", count: countWidth - count.count) + count + "  "
                + String(repeating: " ", count: 6 - rate.count) + rate + " [\(percent(ci.low, sign: false)), \(percent(ci.high, sign: false))]"
        }
    }

    public var summary: String {
        let ci = confidenceInterval
        return "success \(percent(successRate)) [\(percent(ci.low, sign: false)), \(percent(ci.high, sign: false))] (\(successes)/\(episodes)), mean return \(fixed(meanReturn, 2)), mean length \(fixed(meanLength, 1))"
    }
}

/// The Wilson score interval of a success rate, 95% by default: every interval FlowTune prints or
/// draws (evaluations, the report's success band).
///
/// ```swift
/// wilsonInterval(successes: 62, trials: 100)   // (low: ≈ 0.522, high: ≈ 0.709)
/// ```
///
/// With `p = k/n` and `z` the normal quantile: `center = (p + z²/2n) / (1 + z²/n)`,
/// `half = z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n)`. Unlike `p ± z·sqrt(p(1−p)/n)` it stays inside
/// [0, 1] and is not empty at 0% or 100%. No trials (or non-finite counts) give [0, 1].
public func wilsonInterval(successes: Double, trials: Double, z: Double = 1.959963984540054) -> (low: Double, high: Double) {
    guard trials > 0, successes.isFinite, trials.isFinite else { return (0, 1) }
    let p = min(1, max(0, successes / trials))
    let denominator = 1 + z * z / trials
    let center = (p + z * z / (2 * trials)) / denominator
    let half = z * (p * (1 - p) / trials + z * z / (4 * trials * trials)).squareRoot() / denominator
    return (max(0, center - half), min(1, center + half))
}

/// `wilsonInterval` of integer counts.
public func wilsonInterval(successes: Int, trials: Int) -> (low: Double, high: Double) {
    wilsonInterval(successes: Double(successes), trials: Double(trials))
}

func fixed(_ x: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let v = (x * scale).rounded() / scale
    var s = "\(v)"
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    } else if digits > 0 {
        s += "." + String(repeating: "0", count: digits)
    }
    return s
}

func percent(_ p: Double, sign: Bool = true) -> String { fixed(p * 100, 1) + (sign ? "%" : "") }

public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    case policyMismatch(envID: String, envObs: Int, envAct: Int, policyObs: Int, policyAct: Int)
    case batchSmallerThanTaskCount(envID: String, batch: Int, tasks: Int)
    case shareNotAlignedToTasks(envID: String, firstEpisode: Int, tasks: Int)

    public var description: String {
        switch self {
        case .policyMismatch(let id, let eo, let ea, let po, let pa):
            return "The policy (observations \(po), actions \(pa)) does not fit environment '\(id)' (observations \(eo), actions \(ea)); evaluate it on the environment it was trained for."
        case .batchSmallerThanTaskCount(let id, let batch, let tasks):
            return "Evaluating \(id) in batches of \(batch) environments cannot give its \(tasks) tasks their share of the episodes (episode i runs task i mod \(tasks)); "
                + "step at least \(tasks) environments together (eval.num_envs, or --num-envs)."
        case .shareNotAlignedToTasks(let id, let first, let tasks):
            return "A rank's share of the evaluation starts at episode \(first), which is not a multiple of \(id)'s \(tasks) tasks, and \(id) cannot choose its environments' tasks "
                + "(MetaWorld suites with a camera); make eval.episodes a multiple of \(tasks) × the number of ranks."
        }
    }
}
