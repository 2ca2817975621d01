/// What `VectorEnv.step` does with an action component that is NaN or ±∞.
///
/// Out-of-bounds but finite components are always clipped to `spec.action`'s bounds; this policy
/// only concerns non-finite ones, which mean the policy producing them is broken.
///
/// ```swift
/// var config = PushEnv.Config()
/// config.invalidActionPolicy = .reject    // make a NaN policy fail loudly
/// ```
public enum InvalidActionPolicy: Sendable, Equatable {
    /// The default. Each NaN or ±∞ component is replaced by 0 (after which the usual clipping
    /// applies) and `VectorEnvBuffers.invalidActionCounts[i]` grows by one for every step in which
    /// env `i` received at least one such component. The step proceeds; no state is corrupted.
    case zeroAndCount
    /// `step` scans all actions first and throws `VectorEnvError.nonFiniteAction` naming the first
    /// offending environment; no environment advances and all buffers keep their previous contents.
    case reject
}

/// Errors a caller of `VectorEnv` can cause (or, for `workerFailed`, a simulator process can).
///
/// ```swift
/// do { try env.step(actions: actions) }
/// catch let error as VectorEnvError { print(error) }   // a sentence that says what to fix
/// ```
public enum VectorEnvError: Error, Equatable, CustomStringConvertible {
    /// `reset(seeds:)` received a number of seeds different from `numEnvs`.
    case seedCountMismatch(expected: Int, got: Int)
    /// `step(actions:)` received a buffer whose length is not `numEnvs × actionDim`.
    case actionCountMismatch(expected: Int, got: Int)
    /// `step` was called before the first `reset(seeds:)`.
    case stepBeforeReset
    /// An action component is NaN or ±∞ and the policy is `.reject`.
    case nonFiniteAction(env: Int, component: Int)
    /// A simulator behind the environment (e.g. a Python worker process) failed; `env` is the
    /// first affected environment when known.
    case workerFailed(env: Int?, message: String)
    /// `reset(seeds:tasks:)` on an environment that runs fixed tasks.
    case cannotChooseTasks(envID: String)
    /// `reset(seeds:tasks:)` received a number of tasks different from `numEnvs`.
    case taskCountMismatch(expected: Int, got: Int)
    /// `reset(seeds:tasks:)` received a task index outside `spec.tasks`.
    case invalidTask(env: Int, task: Int, taskCount: Int)

    public var description: String {
        switch self {
        case let .seedCountMismatch(expected, got):
            return "reset(seeds:) needs one seed per environment: expected \(expected) seeds, got \(got)."
        case let .actionCountMismatch(expected, got):
            return "step(actions:) needs numEnvs × actionDim = \(expected) floats (row-major, one row per environment), got \(got)."
        case .stepBeforeReset:
            return "step(actions:) was called before reset(seeds:); reset the environments first."
        case let .nonFiniteAction(env, component):
            return "environment \(env) received a non-finite action in component \(component) (NaN or ±inf); "
                + "check the policy's outputs, or use InvalidActionPolicy.zeroAndCount to replace such values by 0."
        case let .cannotChooseTasks(envID):
            return "\(envID) runs a fixed task in each environment and cannot choose them at reset; "
                + "task allocation needs a multi-task suite that supports it (multitask, metaworld/MT10, metaworld/MT50, state observations)."
        case let .taskCountMismatch(expected, got):
            return "reset(seeds:tasks:) needs one task per environment: expected \(expected) tasks, got \(got)."
        case let .invalidTask(env, task, taskCount):
            return "reset(seeds:tasks:) gave environment \(env) task \(task), but the suite's tasks are 0..<\(taskCount)."
        case let .workerFailed(env, message):
            let which = env.map { "environment \($0)" } ?? "a simulator worker"
            return "\(which) failed: \(message). Restart the environments with reset(seeds:)."
        }
    }
}
