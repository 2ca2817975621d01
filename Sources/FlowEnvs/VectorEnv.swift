/// `numEnvs` environments stepped together through structure-of-arrays Float32 buffers.
///
/// ```swift
/// let env = try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: 256)
/// try env.reset(seeds: (0..<256).map { UInt64($0) })
/// try env.step(actions: actions)            // [256 × actionDim] row-major, in [-1, 1]
/// let r = env.buffers.rewards[3], done = env.buffers.isDone(3)
/// ```
///
/// **Stepping.** `step(actions:)` reads one row of `spec.actionDim` floats per environment, advances
/// every environment by one control step and overwrites `buffers`: `observations`, `rewards`,
/// `terminated`, `truncated`, `success` and `episodeSteps`. Finite action components outside the
/// action bounds are clipped to them; NaN and ±∞ are handled by the environment's
/// `InvalidActionPolicy` (replaced by 0 and counted in `invalidActionCounts`, or rejected with
/// `VectorEnvError.nonFiniteAction` before anything advances).
///
/// **Auto-reset.** When environment `i`'s episode ends in a step (`terminated[i] || truncated[i]`):
/// - `finalObservations` row `i` receives the last observation of the finished episode;
/// - the environment immediately starts its next episode, so `observations` row `i` is already
///   the *first observation of the next episode* and `episodeSteps[i] == 0`;
/// - `rewards[i]`, `terminated[i]`, `truncated[i]` and `success[i]` still describe the step that
///   finished the old episode.
///
/// The next episode's initial state is drawn from the environment's own seed stream: `reset(seeds:)`
/// gives environment `i` the stream determined by `seeds[i]` alone, its first episode uses
/// `seeds[i]` itself and every later episode uses the next seed of that stream (recorded in
/// `episodeSeeds[i]`). So a run is a deterministic function of the seeds and the actions, and
/// environment `i`'s trajectory never depends on any other environment's seed or actions.
///
/// **Tasks.** `buffers.taskIndices[i]` indexes `spec.tasks`, which carries each task's name,
/// instruction text and time limit; single-task environments report task 0.
///
/// **Implementations.** Built-in tasks step in-process; the Python simulator bridge implements the
/// same protocol over worker processes, which is why `reset` and `step` can throw (a worker crashed:
/// `VectorEnvError.workerFailed`) and why nothing here assumes that the physics lives in this
/// process. Implementations own `buffers` and must not reallocate them between calls.
public protocol VectorEnv: AnyObject {
    /// Observation and action spaces, time limits and tasks.
    var spec: EnvSpec { get }
    /// The number of environments stepped together.
    var numEnvs: Int { get }
    /// The buffers written by `reset` and `step`; the same object for the environment's lifetime.
    var buffers: VectorEnvBuffers { get }

    /// Starts a new episode in every environment; `seeds[i]` determines environment `i`'s initial
    /// state and all its later auto-reset episodes. Clears rewards, flags, episode step counters and
    /// `invalidActionCounts`; writes `observations`.
    func reset(seeds: [UInt64]) throws

    /// Whether `reset(seeds:tasks:)` can choose the task of each environment (multi-task suites that
    /// support it; see `rl.task_allocation` in docs/algorithms.md §4.4).
    var canChooseTasks: Bool { get }

    /// `reset(seeds:)` that also gives environment `i` the task `tasks[i]` (an index into
    /// `spec.tasks`), kept by its auto-reset episodes until the next reset. Environments without
    /// `canChooseTasks` throw `VectorEnvError.cannotChooseTasks`.
    func reset(seeds: [UInt64], tasks: [Int]) throws

    /// Advances every environment by one step with `actions` (`[numEnvs × spec.actionDim]`,
    /// row-major) and auto-resets the environments whose episode ended (see the type's comment).
    func step(actions: UnsafeBufferPointer<Float>) throws

    /// Releases resources such as worker processes. Built-in environments need nothing.
    func close()
}

extension VectorEnv {
    public func close() {}

    public var canChooseTasks: Bool { false }

    public func reset(seeds: [UInt64], tasks: [Int]) throws {
        throw VectorEnvError.cannotChooseTasks(envID: spec.id)
    }

    /// Checks `reset(seeds:tasks:)`'s task list: one valid task index per environment.
    public func validate(tasks: [Int]) throws {
        guard tasks.count == numEnvs else { throw VectorEnvError.taskCountMismatch(expected: numEnvs, got: tasks.count) }
        if let bad = tasks.firstIndex(where: { !spec.tasks.indices.contains($0) }) {
            throw VectorEnvError.invalidTask(env: bad, task: tasks[bad], taskCount: spec.tasks.count)
        }
    }

    /// `step(actions:)` for an array (no copy).
    public func step(actions: [Float]) throws {
        try actions.withUnsafeBufferPointer { try step(actions: $0) }
    }

    /// The instruction text of the task environment `i` is running.
    public func instruction(forEnv i: Int) -> String {
        spec.tasks[Int(buffers.taskIndices[i])].instruction
    }

    /// The index into `spec.tasks` of the task environment `i` is running.
    public func taskIndex(forEnv i: Int) -> Int { Int(buffers.taskIndices[i]) }
}
