/// How a run shares the machine's cores between simulator worker processes and the trainer's own
/// compute threads (docs/architecture.md, "The rollout pipeline").
///
/// ```swift
/// let p = WorkerPlacement(cores: 2, threads: 2, workers: 2, simulatorWorkers: true, updateOnWorkerCores: true)
/// // p.rolloutThreads == 1: while one part's worker steps, the trainer samples on the other part's core
/// // p.updateThreads == 2: during the update every worker waits, so the update takes all cores back
/// ```
///
/// The rollout steps the environments in `RLTrainer.rolloutParts` parts: while the trainer samples one
/// part's chunks, that part's workers wait and only the other parts' workers simulate. So one worker
/// per core leaves the sampling part's cores to the trainer, and the trainer's rollout threads are
/// counted against them: at most the cores that the simulating workers leave. Between rollouts all
/// workers wait (they block on their sockets and use no CPU), so the update may use the configured
/// threads on every core, or stay on the rollout's threads (`updateOnWorkerCores == false`). Results
/// depend on none of these numbers (the kernels and the rollout are thread- and worker-count invariant).
public struct WorkerPlacement: Sendable, Equatable {
    /// Simulator worker processes (0 for environments that run in the trainer's process).
    public var workers: Int
    /// The trainer's compute threads during the rollout, while workers simulate.
    public var rolloutThreads: Int
    /// The trainer's compute threads during the update and evaluations.
    public var updateThreads: Int

    /// - Parameters:
    ///   - cores: the cores the run may use.
    ///   - threads: the trainer's compute threads (`run.threads`).
    ///   - workers: the worker processes requested (one per core unless configured otherwise).
    ///   - simulatorWorkers: whether the environment runs in worker processes at all.
    ///   - updateOnWorkerCores: whether the update may use the workers' cores while they wait.
    ///   - parts: the parts the rollout steps the environments in.
    public init(cores: Int, threads: Int, workers: Int, simulatorWorkers: Bool, updateOnWorkerCores: Bool,
                parts: Int = RLTrainer.defaultRolloutParts) {
        guard simulatorWorkers else {
            self.workers = 0
            rolloutThreads = threads
            updateThreads = threads
            return
        }
        self.workers = max(1, workers)
        let p = max(1, min(parts, self.workers))
        // The workers that simulate while the trainer samples one part: all but the smallest part's.
        let simulating = self.workers - self.workers / p
        rolloutThreads = max(1, min(threads, cores - simulating))
        updateThreads = updateOnWorkerCores ? max(1, threads) : rolloutThreads
    }
}
