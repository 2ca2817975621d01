/// The structure-of-arrays buffers a `VectorEnv` writes on every `reset(seeds:)` and `step(actions:)`.
///
/// ```swift
/// try env.step(actions: actions)
/// let b = env.buffers
/// let obs0 = b.observation(ofEnv: 0)           // obsDim floats, no copy
/// if b.isDone(0) { let last = b.finalObservation(ofEnv: 0) }
/// ```
///
/// Layout: `observations` and `finalObservations` are `[numEnvs × observationDim]` row-major
/// Float32 (row `i` belongs to environment `i`); every other buffer has one entry per environment.
/// The environment owns the memory (allocated once, freed with the buffers object) and overwrites it
/// in place, so the pointers stay valid for the life of the environment and stepping allocates
/// nothing. Callers read; only the environment writes. Contents are valid until the next call to
/// `reset` or `step`; copy what must outlive that.
///
/// The buffers are public and mutable so that environments written outside FlowEnvs (for example
/// the Python bridge, which copies worker replies straight into them) can fill them too.
public final class VectorEnvBuffers {
    public let numEnvs: Int
    public let observationDim: Int

    /// `[numEnvs × observationDim]`: the current observation of every environment. After a step in
    /// which environment `i` finished, row `i` is already the first observation of its next episode.
    public let observations: UnsafeMutableBufferPointer<Float>
    /// `[numEnvs × observationDim]`: row `i` is the last observation of the episode that environment
    /// `i` just finished. Valid only where `terminated[i] || truncated[i]` after the latest step;
    /// other rows hold stale data.
    public let finalObservations: UnsafeMutableBufferPointer<Float>
    /// The reward of the latest step (0 after `reset`).
    public let rewards: UnsafeMutableBufferPointer<Float>
    /// The episode reached a terminal state in the latest step (success, or a failure such as the
    /// object leaving the table). Bootstrapping must stop here.
    public let terminated: UnsafeMutableBufferPointer<Bool>
    /// The episode hit its time limit in the latest step without terminating. Bootstrapping from
    /// `finalObservations` is correct here. Never true together with `terminated`.
    public let truncated: UnsafeMutableBufferPointer<Bool>
    /// The task's success condition held after the latest step.
    public let success: UnsafeMutableBufferPointer<Bool>
    /// Steps taken in the current episode: 0 right after `reset` or an auto-reset. Scripted experts
    /// use `episodeSteps[i] == 0` to notice a new episode.
    public let episodeSteps: UnsafeMutableBufferPointer<Int32>
    /// The seed that generated the current episode's initial state: `reset(seeds: [episodeSeeds[i]])`
    /// on a one-environment copy reproduces it exactly.
    public let episodeSeeds: UnsafeMutableBufferPointer<UInt64>
    /// The task each environment is running, an index into `spec.tasks` (0 for single-task envs).
    public let taskIndices: UnsafeMutableBufferPointer<Int32>
    /// Steps since the last `reset(seeds:)` in which the environment received a NaN or ±∞ action
    /// component (see `InvalidActionPolicy.zeroAndCount`).
    public let invalidActionCounts: UnsafeMutableBufferPointer<Int>

    public init(numEnvs: Int, observationDim: Int) {
        precondition(numEnvs > 0 && observationDim > 0, "VectorEnvBuffers needs numEnvs > 0 and observationDim > 0")
        self.numEnvs = numEnvs
        self.observationDim = observationDim
        observations = Self.make(numEnvs * observationDim, 0 as Float)
        finalObservations = Self.make(numEnvs * observationDim, 0 as Float)
        rewards = Self.make(numEnvs, 0 as Float)
        terminated = Self.make(numEnvs, false)
        truncated = Self.make(numEnvs, false)
        success = Self.make(numEnvs, false)
        episodeSteps = Self.make(numEnvs, 0 as Int32)
        episodeSeeds = Self.make(numEnvs, 0 as UInt64)
        taskIndices = Self.make(numEnvs, 0 as Int32)
        invalidActionCounts = Self.make(numEnvs, 0 as Int)
    }

    deinit {
        observations.deallocate()
        finalObservations.deallocate()
        rewards.deallocate()
        terminated.deallocate()
        truncated.deallocate()
        success.deallocate()
        episodeSteps.deallocate()
        episodeSeeds.deallocate()
        taskIndices.deallocate()
        invalidActionCounts.deallocate()
    }

    private static func make<T>(_ count: Int, _ value: T) -> UnsafeMutableBufferPointer<T> {
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: count)
        buffer.initialize(repeating: value)
        return buffer
    }

    /// Row `i` of `observations` (no copy).
    @inlinable
    public func observation(ofEnv i: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: observations[(i * observationDim)..<((i + 1) * observationDim)])
    }

    /// Row `i` of `finalObservations` (no copy); meaningful only when `isDone(i)`.
    @inlinable
    public func finalObservation(ofEnv i: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: finalObservations[(i * observationDim)..<((i + 1) * observationDim)])
    }

    /// What `reset(seeds:)` leaves for environment `i` before its first step: no reward, not done,
    /// no success, step 0, no invalid actions counted.
    public func clearForReset(_ i: Int) {
        rewards[i] = 0
        terminated[i] = false
        truncated[i] = false
        success[i] = false
        episodeSteps[i] = 0
        invalidActionCounts[i] = 0
    }

    /// Copies environment `j`'s per-step record (reward, flags, step count, seed, task, invalid
    /// actions; not the observations) from `source` into environment `i`: how a wrapper or a
    /// shard of environments hands on what the simulating environment wrote.
    public func copyStepRecord(ofEnv j: Int, from source: VectorEnvBuffers, toEnv i: Int) {
        rewards[i] = source.rewards[j]
        terminated[i] = source.terminated[j]
        truncated[i] = source.truncated[j]
        success[i] = source.success[j]
        episodeSteps[i] = source.episodeSteps[j]
        episodeSeeds[i] = source.episodeSeeds[j]
        taskIndices[i] = source.taskIndices[j]
        invalidActionCounts[i] = source.invalidActionCounts[j]
    }

    /// Whether environment `i`'s episode ended in the latest step (`terminated || truncated`).
    @inlinable
    public func isDone(_ i: Int) -> Bool { terminated[i] || truncated[i] }
}
