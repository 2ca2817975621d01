import FlowDistributed
import FlowEnvs
import FlowNN
import FlowPolicy
import Foundation
import SafeTensors

/// A training checkpoint is one safetensors file holding everything a resumed run needs: the policy
/// (its own checkpoint entries), the critic, the three optimizers' moments and steps, both random
/// generators, the iteration and environment-step counters, the `rl:` knobs as YAML and the run's
/// settings as JSON (metadata).
extension RLTrainer {
    public static let checkpointFormat = "flowtune.rl-checkpoint/2"

    public func saveCheckpoint(to path: String) throws {
        var file = try policy.checkpointFile()
        file.metadata["format"] = FlowPolicy.formatTag  // the file also loads as a plain policy
        file.metadata["trainer_format"] = Self.checkpointFormat
        file.metadata["env_id"] = envID
        file.metadata["iteration"] = "\(iteration)"
        file.metadata["env_steps"] = "\(environmentSteps)"
        if communicator.size > 1 { file.metadata["data_parallel_ranks"] = "\(communicator.size)" }
        // The KL-adapted rate, exactly (a resumed run continues with it).
        file.metadata["actor_learning_rate_bits"] = "\(actorLearningRate.bitPattern)"
        file.metadata["rl_config"] = config.yaml(comments: false)
        file.metadata["rl_run"] = String(decoding: try JSONEncoder.sortedKeys.encode(run), as: UTF8.self)
        if let critic { file.insert(critic.parameterValues(), prefix: "critic") }
        file.insert(actorOptimizer.stateTensors(), prefix: "optimizer.actor")
        file.insert(noiseOptimizer.stateTensors(), prefix: "optimizer.noise")
        file.insert(criticOptimizer.stateTensors(), prefix: "optimizer.critic")
        for (name, rng) in [("rollout", rolloutRNG), ("update", updateRNG)] {
            file.tensors["rng.\(name)"] = SafeTensor(int64s: rng.stateWords.map { Int64(bitPattern: $0) }, shape: [4])
        }
        if let taskAllocation {
            // Bit patterns: the resumed run deals environments exactly as the uninterrupted one.
            file.tensors["task_allocation.successes"] = SafeTensor(int64s: taskAllocation.successes.map { Int64(bitPattern: $0.bitPattern) },
                                                                   shape: [taskAllocation.taskCount])
            file.tensors["task_allocation.episodes"] = SafeTensor(int64s: taskAllocation.episodes.map { Int64(bitPattern: $0.bitPattern) },
                                                                  shape: [taskAllocation.taskCount])
        }
        try file.write(to: path)
    }

    /// Rebuilds a trainer from a checkpoint written by `saveCheckpoint` (same environment and config;
    /// the demonstrations again when the config has a demonstration anchor). `bridge` configures the
    /// workers of a Python simulator (they do not change results).
    /// A data-parallel job resumes with the checkpoint of rank 0 on every rank (the state every rank
    /// shares); with as many ranks as wrote it, it continues bit for bit. With a different number the
    /// environments are dealt differently, so the run continues correctly but not as it would have
    /// (`onWarning` says so; docs/distributed.md).
    public static func resume(from path: String, demonstrations: DemonstrationDataset? = nil,
                              bridge: PythonBridgeEnv.Configuration = .init(),
                              communicator: any Communicator = SingleProcess()) throws -> RLTrainer {
        let file = try SafeTensorsFile.read(from: path)
        if let format = file.metadata["trainer_format"], format != checkpointFormat, format.hasPrefix("flowtune.rl-checkpoint/") {
            throw RLError.notACheckpoint(path: path, reason: "it was written by an earlier FlowTune (format \(format), this one reads \(checkpointFormat)); "
                                            + "finish that run with the FlowTune that started it, or start a new run from its policy with --init")
        }
        guard file.metadata["trainer_format"] == checkpointFormat, let envID = file.metadata["env_id"],
              let yaml = file.metadata["rl_config"], let json = file.metadata["rl_run"], let iteration = Int(file.metadata["iteration"] ?? ""),
              let steps = Int(file.metadata["env_steps"] ?? "") else {
            throw RLError.notACheckpoint(path: path, reason: "its metadata lacks the trainer format, env id, config or counters")
        }
        let config: RLConfig, run: RLRun
        do {
            config = try RLConfig.load(yaml: yaml, source: "the checkpoint's rl_config")
            run = try JSONDecoder().decode(RLRun.self, from: Data(json.utf8))
        } catch {
            throw RLError.notACheckpoint(path: path, reason: "its RL settings do not decode: \(error)")
        }
        let policy = try FlowPolicy.load(from: file, path: path)
        let trainer = try RLTrainer(policy: policy, envID: envID, config: config, run: run, demonstrations: demonstrations, bridge: bridge,
                                    communicator: communicator)
        trainer.ranksAtCheckpoint = Int(file.metadata["data_parallel_ranks"] ?? "1") ?? 1
        if let critic = trainer.critic { try critic.loadParameterValues(try file.tensorValues(prefix: "critic")) }
        try trainer.actorOptimizer.loadState(try file.tensorValues(prefix: "optimizer.actor"))
        try trainer.noiseOptimizer.loadState(try file.tensorValues(prefix: "optimizer.noise"))
        try trainer.criticOptimizer.loadState(try file.tensorValues(prefix: "optimizer.critic"))
        func rng(_ name: String) throws -> RandomGenerator {
            let words = try file.tensor("rng.\(name)").int64s()
            guard words.count == 4 else { throw RLError.notACheckpoint(path: path, reason: "rng.\(name) is not 4 words") }
            return RandomGenerator(state: words.map { UInt64(bitPattern: $0) })
        }
        trainer.rolloutRNG = try rng("rollout")
        trainer.updateRNG = try rng("update")
        trainer.iteration = iteration
        trainer.environmentSteps = steps
        if let bits = file.metadata["actor_learning_rate_bits"].flatMap(UInt32.init) {
            trainer.actorLearningRate = Float(bitPattern: bits)
        }
        if let allocation = trainer.taskAllocation {
            func counts(_ name: String) throws -> [Double] {
                let bits = try file.tensor("task_allocation.\(name)").int64s()
                guard bits.count == allocation.taskCount else {
                    throw RLError.notACheckpoint(path: path, reason: "task_allocation.\(name) has \(bits.count) tasks, the suite \(allocation.taskCount)")
                }
                return bits.map { Double(bitPattern: UInt64(bitPattern: $0)) }
            }
            trainer.taskAllocation = TaskAllocation(successes: try counts("successes"), episodes: try counts("episodes"),
                                                    floor: allocation.floor)
        }
        return trainer
    }
}
