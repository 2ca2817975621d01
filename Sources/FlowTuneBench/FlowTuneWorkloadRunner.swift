import FlowTuneCLI
import FlowNN
import FlowPolicy

/// FlowTune's side of `bench compare`: each workload as a closure the timing loop can call, on the
/// weights that the peers load from the checkpoints `CompareCheckpoints` wrote.
enum FlowTuneWorkloadRunner {
    /// A callable workload; `unitsPerCall` is the environment steps of the last call for W4, 0 otherwise.
    struct Prepared {
        var call: () throws -> Void
        var unitsPerCall: () -> Int
    }

    static func prepare(_ w: CompareWorkload, checkpoints: CompareCheckpoints) throws -> Prepared {
        switch w.kind {
        case .sampleODE, .sampleSDE:
            let policy = try checkpoints.policy(steps: w.steps, noise: false)
            let sampler = ChunkSampler(mode: w.kind == .sampleODE ? .ode : .flowSDE(schedule: .oneStep, noiseLevel: CompareWorkload.noiseLevel))
            var rng = RandomGenerator(seed: 3)
            let observations = Tensor.randomNormal([w.batch, policy.config.observationDim], rng: &rng)
            return Prepared(call: { _ = try sampler.sample(policy, observations: observations, rng: &rng) }, unitsPerCall: { 0 })
        case .ppoSDE, .ppoNoise:
            let policy = try checkpoints.policy(steps: w.steps, noise: w.kind == .ppoNoise)
            let epoch = try PPOEpochWorkload(policy: policy, rows: CompareWorkload.rollout, minibatch: w.batch)
            return Prepared(call: { try epoch.runEpoch() }, unitsPerCall: { 0 })
        case .fpo:
            let policy = try checkpoints.policy(steps: w.steps, noise: false)
            let epoch = try FPOEpochWorkload(policy: policy, rows: CompareWorkload.rollout, minibatch: w.batch)
            return Prepared(call: { try epoch.runEpoch() }, unitsPerCall: { 0 })
        case .rlIteration:
            let iteration = try RLIterationWorkload(policy: try checkpoints.policy(steps: w.steps, noise: false), numEnvs: w.batch)
            return Prepared(call: { try iteration.runIteration() }, unitsPerCall: { iteration.lastSteps })
        case .encoder:
            let encoder = EncoderWorkload(batch: w.batch)
            return Prepared(call: { encoder.run() }, unitsPerCall: { 0 })
        }
    }
}
