import FlowDistributed
import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL
import Foundation

/// The stages of the FlowTune workflow, writing into one run directory: demonstrations, SFT,
/// evaluation and RL (with metrics, TensorBoard, checkpoints, progress and Ctrl-C handling).
/// The commands (`demo`, `collect`, `sft`, `train`, `eval`) are thin wrappers around these.
struct Pipeline {
    let config: FlowTuneConfig
    let run: RunDirectory
    let log: RunLogger
    /// The ranks of a data-parallel job: evaluations are split over them, and only rank 0 films
    /// (docs/distributed.md).
    var communicator: any Communicator = SingleProcess()

    static let demosFileName = "demos.safetensors"
    static let sftFileName = "sft.safetensors"

    /// Loads `demos.path`, or collects `demos.count` expert episodes and saves them in the run dir.
    func demonstrations() throws -> DemonstrationDataset {
        if let path = config.demos.path {
            let d = try DemonstrationDataset.read(from: path)
            guard d.envID == (try EnvironmentRegistry.canonicalID(config.env.id)) else {
                throw PipelineError.missingInput("\(path) holds demonstrations of '\(d.envID)', but env.id is '\(config.env.id)'; pass demonstrations of the same environment.")
            }
            let kind = ImageLayout.described(d.image)
            guard kind == configuredObservationKind else {
                throw PipelineError.missingInput("\(path) holds \(kind) observations, but the config asks for \(configuredObservationKind) (env.observation, env.image_size); collect demonstrations with the same settings.")
            }
            log.info("loaded \(d.episodeCount) demonstrations (\(d.stepCount) steps) from \(path)")
            return d
        }
        let start = Date()
        let (d, report) = try config.demonstrationCollector.collectWithReport(episodes: config.demos.count, seed: UInt64(config.run.seed))
        let path = run.file(Self.demosFileName)
        try d.write(to: path)
        log.info("collected \(d.episodeCount) expert demonstrations of \(config.env.id) (\(d.stepCount) steps; expert succeeded in \(report.succeeded)/\(report.attempted) episodes) in \(seconds(since: start)) → \(path)")
        return d
    }

    /// The demonstrations of the RL demonstration anchor (nil unless `rl.demo_loss_coef` is set):
    /// `demos.path`, else the ones this run already collected (for its SFT, or before a resume), else
    /// a fresh collection with the `demos` settings.
    func anchorDemonstrations() throws -> DemonstrationDataset? {
        guard config.rl.demoLossCoef != nil else { return nil }
        let own = run.file(Self.demosFileName)
        if config.demos.path == nil && FileManager.default.fileExists(atPath: own) {
            let d = try DemonstrationDataset.read(from: own)
            log.info("demonstration anchor: \(d.episodeCount) demonstrations from \(own)")
            return d
        }
        return try demonstrations()
    }

    /// Supervised flow matching on the demonstrations; saves `sft.safetensors` in the run dir.
    func supervisedFineTuning(_ demos: DemonstrationDataset) throws -> FlowPolicy {
        let env = try EnvironmentRegistry.make(id: config.env.id, numEnvs: 1)
        defer { env.close() }
        let policyConfig = config.policyConfig(observationDim: demos.observationDim, actionDim: demos.actionDim,
                                               tasks: env.spec.tasks, image: demos.image)
        let start = Date()
        let trainer = try SFTTrainer(dataset: demos, policyConfig: policyConfig, config: config.sft, seed: UInt64(config.run.seed))
        trainer.communicator = communicator
        if case .auto = config.policy.denoisedClip {
            let actions = trainer.policy.actionNormalizer.normalize(Tensor(demos.actions, shape: [demos.stepCount, demos.actionDim]))
            try trainer.policy.setDenoisedClip(DenoisedClamp.automaticBound(normalizedDemonstrationActions: actions))
        }
        try adoptDenoisedClip(trainer.policy)  // a number or null as configured; logs the bound
        log.info("SFT: \(trainer.policy.parameterCount) parameters, \(trainer.train.count) training pairs, \(config.sft.steps) steps of \(config.sft.batchSize)")
        let path = run.file(Self.sftFileName)
        let result = try trainer.run(checkpointPath: path) { entry in
            var line = "SFT step \(entry.step)/\(config.sft.steps): loss \(fmt(entry.trainLoss))"
            if let h = entry.heldOutLoss { line += ", held-out \(fmt(h))" }
            log.info(line)
        }
        log.info("SFT finished in \(seconds(since: start)) → \(path)")
        return result.policy
    }

    /// What `env.observation` and `env.image_size` ask for, in words (`ObservationMode.described`).
    var configuredObservationKind: String { config.env.observation.described(imageSize: config.env.imageSize) }

    /// The policy RL starts from: the checkpoint at `path` with `policy.denoised_clip` applied, or,
    /// without one, demonstrations and SFT in this run.
    func startingPolicy(from path: String?) throws -> FlowPolicy {
        guard let path else { return try supervisedFineTuning(try demonstrations()) }
        let policy = try FlowPolicy.load(path)
        let kind = ImageLayout.described(policy.config.imageLayout)
        guard kind == configuredObservationKind else {
            throw PipelineError.missingInput("\(path) is a policy of \(kind) observations, but the config asks for \(configuredObservationKind); set env.observation and env.image_size to the policy's.")
        }
        log.info("initial policy \(path)")
        try adoptDenoisedClip(policy)
        return policy
    }

    /// Applies `policy.denoised_clip` to a policy (one fitted here, or given to `train --init` /
    /// `sweep --init`): a number or null replaces its bound, `auto` keeps the one it has.
    func adoptDenoisedClip(_ policy: FlowPolicy) throws {
        switch config.policy.denoisedClip {
        case .auto: break
        case .bound(let c): try policy.setDenoisedClip(Float(c))
        case .off: try policy.setDenoisedClip(nil)
        }
        if let c = policy.config.denoisedClip {
            log.info("denoised clamp: ±\(fmt(c)) (normalised action units)")
        } else {
            log.warning("the policy's denoising chains are unbounded (no denoised clamp); set policy.denoised_clip to a bound, e.g. 4, to keep RL's chains in range")
        }
    }

    /// The evaluation on `eval.episodes` fixed episodes with `eval.sampler`'s main sampler (the
    /// first of `evaluationModes`: the ODE, or for `sde` the Flow-SDE chain).
    func evaluate(_ policy: FlowPolicy, label: String) throws -> EvaluationReport {
        let report = try evaluate(policy, label: label, mode: config.evaluationModes[0])
        try film(policy, label: label)
        return report
    }

    /// Films the evaluation's first four episodes into `films/<n>-<label>.safetensors` for the
    /// report's rollout viewer (nothing for a state policy on a simulator without a camera).
    func film(_ policy: FlowPolicy, label: String) throws {
        guard communicator.isRoot else { return }
        guard let film = try config.evaluator(mode: config.evaluationModes[0]).film(policy) else { return }
        let folder = run.file(RunDirectory.filmsFolderName)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let earlier = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".safetensors") }.count ?? 0
        let slug = String(label.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
            .split(separator: "-").joined(separator: "-")
        try film.write(to: folder + "/\(earlier + 1)-\(slug).safetensors", stage: label)
    }

    /// With `eval.sampler: both`, the same episodes sampled by the Flow-SDE chain (nil otherwise): RL
    /// optimises that chain, so a gap between it and the ODE shows what the deterministic policy
    /// did not inherit.
    func evaluateSDEAlongside(_ policy: FlowPolicy, label: String) throws -> EvaluationReport? {
        let modes = config.evaluationModes
        return modes.count > 1 ? try evaluate(policy, label: label + " (SDE sampler)", mode: modes[1]) : nil
    }

    private func evaluate(_ policy: FlowPolicy, label: String, mode: SamplingMode) throws -> EvaluationReport {
        let report = try config.evaluator(mode: mode).evaluate(policy, communicator: communicator)
        log.info("\(label): \(report.summary)")
        for line in report.perTaskTable { log.info(line) }
        return report
    }

    /// Online RL from `initial` (or continuing `resumed`), logging every iteration into the run dir.
    /// `initialEvaluation` (the starting policy's) is logged as iteration 0, and the last iteration's
    /// record carries the final `eval.episodes` evaluation, so the curve spans the whole run.
    /// Returns the trainer, the final evaluation (nil when interrupted) and whether it stopped early.
    func reinforcementLearning(from initial: FlowPolicy?, resumed: RLTrainer? = nil, initialEvaluation: EvaluationReport? = nil,
                               progressTTY: Bool? = nil) throws -> (trainer: RLTrainer, final: EvaluationReport?, interrupted: Bool) {
        let trainer: RLTrainer
        if let resumed {
            trainer = resumed
        } else {
            let policy = try config.withNoiseNetworkIfNeeded(initial!)
            trainer = try RLTrainer(policy: policy, envID: config.env.id, config: config.rl, run: config.rlRun,
                                    demonstrations: try anchorDemonstrations(), bridge: config.bridgeConfiguration,
                                    communicator: communicator)
        }
        trainer.onWarning = { log.warning($0) }
        if let ranks = trainer.ranksAtCheckpoint, ranks != communicator.size {
            log.warning("the checkpoint was written by \(ranks) rank\(ranks == 1 ? "" : "s") and this job has \(communicator.size): the environments are dealt anew, so the run continues, but not bit for bit as it would have with \(ranks)")
        }
        trainer.placement = config.workerPlacement
        let metrics = try run.makeMetricsLogger(resume: resumed != nil)
        defer { metrics.close() }
        let tensorboard = config.run.tensorboard ? try run.makeTensorBoardWriter() : nil
        defer { tensorboard?.close() }
        let progress: ProgressReporter
        if !communicator.isRoot {  // one progress line per job: rank 0's
            progress = ProgressReporter(total: trainer.config.iterations, label: "iter", isTerminal: false, output: { _ in })
        } else if let tty = progressTTY {
            progress = ProgressReporter(total: trainer.config.iterations, label: "iter", isTerminal: tty)
        } else {
            progress = ProgressReporter(total: trainer.config.iterations, label: "iter")
        }
        progress.plainInterval = config.run.progressIntervalSeconds
        progress.begin(iteration: trainer.iteration, envSteps: trainer.environmentSteps)
        let shutdown = ShutdownSignal.shared
        shutdown.install()
        defer { shutdown.uninstall() }
        log.info("RL (\(config.rl.algo.rawValue)) on \(config.env.id): \(trainer.run.numEnvs) environments, \(trainer.config.iterations) iterations, from iteration \(trainer.iteration)")
        if let p = trainer.placement, p.workers > 0 {
            log.info("\(p.workers) simulator worker\(p.workers == 1 ? "" : "s"); trainer threads: \(p.rolloutThreads) in the rollout, \(p.updateThreads) in the update")
        }

        let start = Date()
        var best = -1.0
        var lastTrainSuccess: Double? = nil
        var weakestTask = WeakestTaskWindow()
        var final: EvaluationReport? = nil
        if let e = initialEvaluation, resumed == nil {
            var m = e.metrics()
            if let sde = try evaluateSDEAlongside(trainer.policy, label: "initial policy") {
                m.merge(sde.metrics(prefix: "eval_sde_")) { $1 }
            }
            try metrics.log(iteration: 0, envSteps: 0, wallTime: 0, metrics: m)
            try tensorboard?.addScalars(m, step: 0)
        }
        var lastLatestWrite = Date()
        while trainer.iteration < trainer.config.iterations {
            if communicator.any(shutdown.isRequested) { break }  // every rank stops at the same iteration
            var m = try trainer.runIteration()
            if trainer.iteration == trainer.config.iterations {
                let report = try evaluate(trainer.policy, label: "after RL (\(trainer.iteration) iterations)")
                m.merge(report.metrics()) { $1 }
                if let sde = try evaluateSDEAlongside(trainer.policy, label: "after RL (\(trainer.iteration) iterations)") {
                    m.merge(sde.metrics(prefix: "eval_sde_")) { $1 }
                }
                final = report
            }
            let wall = Date().timeIntervalSince(start)
            try metrics.log(iteration: trainer.iteration, envSteps: trainer.environmentSteps, wallTime: wall,
                            metrics: m.filter { $0.key != "iteration" && $0.key != "env_steps" })
            try tensorboard?.addScalars(m.filter { $0.key != "iteration" }, step: trainer.iteration)
            if let s = m["train_success"], s.isFinite { lastTrainSuccess = s }
            let evalText = m["eval_success"].map { [("eval", String(format: "%.1f%%", $0 * 100))] } ?? []
            weakestTask.add(m)
            let weakest = weakestTask.item.map { [$0] } ?? []
            progress.update(iteration: trainer.iteration, envSteps: trainer.environmentSteps,
                            successRate: lastTrainSuccess, extra: weakest + evalText)
            if let s = m["eval_success"] {
                log.info("iteration \(trainer.iteration): evaluation \(String(format: "%.1f%%", s * 100)) over \(Int(m["eval_episodes"] ?? 0)) episodes")
                if s > best {
                    best = s
                    try trainer.saveCheckpoint(to: run.bestCheckpointPath)
                }
            }
            if config.run.checkpointInterval > 0 && trainer.iteration % config.run.checkpointInterval == 0 {
                try saveCheckpoints(trainer)
                lastLatestWrite = Date()
            } else if let every = config.run.latestCheckpointSeconds, Date().timeIntervalSince(lastLatestWrite) >= every {
                // Between numbered checkpoints `latest` follows the run, so a job killed mid-iteration
                // (mpirun's SIGKILL a second after Ctrl-C, a scheduler, an OOM) resumes from recent
                // state. Each rank decides by its own clock: saving involves no collective.
                try trainer.saveCheckpoint(to: run.latestCheckpointPath)
                lastLatestWrite = Date()
            }
        }
        progress.finish()
        let interrupted = trainer.iteration < trainer.config.iterations
        try saveCheckpoints(trainer)
        log.info(interrupted
                 ? "stopped at iteration \(trainer.iteration) on request; checkpoint written, resume with `flowtune train --resume \(run.path)`"
                 : "RL finished: \(trainer.iteration) iterations, \(trainer.environmentSteps) environment steps in \(seconds(since: start))")
        return (trainer, final, interrupted)
    }

    /// The evaluation columns of `metrics.jsonl` (the report draws the Wilson band from them).
    /// `latest` plus a numbered checkpoint, keeping the newest `run.keep_checkpoints` numbered ones
    /// (with 0, `latest` alone).
    func saveCheckpoints(_ trainer: RLTrainer) throws {
        try trainer.saveCheckpoint(to: run.latestCheckpointPath)
        if config.run.keepCheckpoints > 0 { try trainer.saveCheckpoint(to: run.checkpointPath(iteration: trainer.iteration)) }
        let fm = FileManager.default
        let numbered = ((try? fm.contentsOfDirectory(atPath: run.checkpointsPath)) ?? [])
            .filter { $0.hasPrefix("iter-") }.sorted()
        for old in numbered.dropLast(config.run.keepCheckpoints) {
            try? fm.removeItem(atPath: run.checkpointsPath + "/" + old)
        }
    }
}

func fmt(_ x: Float) -> String { String(format: "%.4f", x) }

func seconds(since start: Date) -> String { String(format: "%.1f s", Date().timeIntervalSince(start)) }
