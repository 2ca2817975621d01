/// A box of Float32 vectors: one name and one closed interval `[low, high]` per component.
///
/// ```swift
/// let actions = BoxSpace(names: ["vx", "vy"], low: [-1, -1], high: [1, 1])
/// actions.dim                    // 2
/// actions.contains([0.5, -2])    // false: -2 < low[1]
/// ```
///
/// For observations the bounds describe the range the simulator produces (useful for normalisers);
/// for actions they are enforced: `VectorEnv.step` clips every component to `[low, high]`.
public struct BoxSpace: Sendable, Equatable {
    /// One human-readable name per component, e.g. `"pusher_x"`.
    public var names: [String]
    /// Lower bound per component.
    public var low: [Float]
    /// Upper bound per component.
    public var high: [Float]

    public init(names: [String], low: [Float], high: [Float]) {
        precondition(names.count == low.count && low.count == high.count,
                     "BoxSpace needs one name, one low and one high per component")
        precondition(zip(low, high).allSatisfy { $0 <= $1 }, "BoxSpace needs low <= high")
        self.names = names
        self.low = low
        self.high = high
    }

    /// The number of components.
    public var dim: Int { names.count }

    /// Whether every component of `x` lies within its bounds (and `x` has `dim` components).
    public func contains(_ x: [Float]) -> Bool {
        guard x.count == dim else { return false }
        for k in 0..<dim where !(x[k] >= low[k] && x[k] <= high[k]) { return false }
        return true
    }
}

/// One task of an environment: a short name, the instruction a language-conditioned policy reads,
/// and its time limit.
///
/// ```swift
/// let task = env.spec.tasks[Int(env.buffers.taskIndices[i])]
/// print(task.name, task.instruction)   // "push-left", "push the block to the left target"
/// ```
public struct TaskDescription: Sendable, Equatable {
    public var name: String
    public var instruction: String
    /// Episodes of this task are truncated after this many steps.
    public var maxEpisodeSteps: Int

    public init(name: String, instruction: String, maxEpisodeSteps: Int) {
        (self.name, self.instruction, self.maxEpisodeSteps) = (name, instruction, maxEpisodeSteps)
    }

    /// A task's own time limit `own` under an optional shorter `cap` (a training time limit).
    static func timeLimit(_ own: Int, cappedAt cap: Int?) -> Int { min(own, cap ?? own) }
}

/// Everything a learner needs to know about a `VectorEnv` before stepping it.
///
/// ```swift
/// let env = try BuiltinEnvironments.make(id: "push", numEnvs: 64)
/// env.spec.observation.dim     // 10
/// env.spec.action.high         // [1, 1]
/// env.spec.maxEpisodeSteps     // 120
/// ```
///
/// Single-task environments have exactly one entry in `tasks`; a suite such as `multitask` lists
/// every task and reports the task of each environment in `VectorEnvBuffers.taskIndices`.
public struct EnvSpec: Sendable, Equatable {
    /// The registry id, e.g. `"reach-obstacle"`.
    public var id: String
    public var observation: BoxSpace
    public var action: BoxSpace
    /// The tasks, indexed by `VectorEnvBuffers.taskIndices`.
    public var tasks: [TaskDescription]
    /// Where a camera image sits in each observation row (pixel observations); nil for state vectors.
    public var image: ImageLayout?

    public init(id: String, observation: BoxSpace, action: BoxSpace, tasks: [TaskDescription], image: ImageLayout? = nil) {
        precondition(!tasks.isEmpty, "an EnvSpec has at least one task")
        self.id = id
        self.observation = observation
        self.action = action
        self.tasks = tasks
        self.image = image
    }

    /// The longest episode of any task (each task's own limit is in `tasks`).
    public var maxEpisodeSteps: Int { tasks.lazy.map(\.maxEpisodeSteps).max()! }

    public var observationDim: Int { observation.dim }
    public var actionDim: Int { action.dim }
    public var numTasks: Int { tasks.count }
}
