import FlowNN
import FlowPolicy
import FlowTuneCLI
import Foundation

/// The networks every stack of `bench compare` runs: one set of policy weights (the built-in tasks' default
/// architecture, seed 0), written as FlowTune policy checkpoints that the peers load, so all stacks
/// compute with identical networks. FiLM layers start at zero in a fresh policy; the benchmark
/// perturbs them so every layer does non-trivial arithmetic.
struct CompareCheckpoints {
    let directory: String

    init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var rng = RandomGenerator(seed: 0)
        let base = FlowPolicy(config: try CompareWorkload.policyConfig(noise: true), rng: &rng)
        var values = base.parameterValues()
        for name in values.keys.sorted() where name.contains(".films.") {
            values[name] = Tensor.randomNormal(values[name]!.shape, std: 0.02, rng: &rng)
        }
        try base.loadParameterValues(values)
        for steps in [5, 10] {
            for noise in [false, true] {
                var c = try CompareWorkload.policyConfig(steps: steps, noise: noise)
                c.denoisingSteps = steps
                let policy = FlowPolicy(config: c, rng: &rng)
                let own = Set(policy.parameterValues().keys)
                try policy.loadParameterValues(values.filter { own.contains($0.key) })
                try policy.save(to: path(steps: steps, noise: noise))
            }
        }
        try EncoderWorkload.write(to: encoderPath)
    }

    /// The file a peer loads for workload `w`.
    func path(for w: CompareWorkload) -> String {
        w.kind == .encoder ? encoderPath : path(steps: w.steps, noise: w.kind.usesNoisePolicy)
    }

    var encoderPath: String { "\(directory)/encoder.safetensors" }

    func path(steps: Int, noise: Bool) -> String {
        "\(directory)/policy-k\(steps)\(noise ? "-noise" : "").safetensors"
    }

    /// A fresh copy of the policy (each workload trains its own).
    func policy(steps: Int, noise: Bool) throws -> FlowPolicy {
        try FlowPolicy.load(path(steps: steps, noise: noise))
    }
}
