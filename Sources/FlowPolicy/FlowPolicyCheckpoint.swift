import FlowNN
import Foundation
import SafeTensors

/// A policy checkpoint is one safetensors file: the parameters under `params.<name>`, the
/// normaliser statistics under `normalizer.*`, and the `FlowPolicyConfig` as JSON in the metadata,
/// so `FlowPolicy.load(path)` needs nothing else (and Python's `safetensors` can read it).
extension FlowPolicy {
    public static let formatTag = "flowtune.policy/1"

    /// The checkpoint contents (for callers that add more, e.g. optimizer state).
    public func checkpointFile(metadata: [String: String] = [:]) throws -> SafeTensorsFile {
        var file = SafeTensorsFile(metadata: metadata)
        file.metadata["format"] = Self.formatTag
        file.metadata["config"] = String(decoding: try JSONEncoder.sortedKeys.encode(config), as: UTF8.self)
        file.insert(parameterValues(), prefix: "params")
        file.tensors["normalizer.observation.mean"] = SafeTensor(Tensor(observationNormalizer.mean))
        file.tensors["normalizer.observation.std"] = SafeTensor(Tensor(observationNormalizer.std))
        file.tensors["normalizer.action.mean"] = SafeTensor(Tensor(actionNormalizer.mean))
        file.tensors["normalizer.action.std"] = SafeTensor(Tensor(actionNormalizer.std))
        return file
    }

    /// Writes the policy atomically (temp file, fsync, rename).
    public func save(to path: String, metadata: [String: String] = [:]) throws {
        try checkpointFile(metadata: metadata).write(to: path)
    }

    /// Rebuilds a policy from a checkpoint file.
    public static func load(_ path: String) throws -> FlowPolicy {
        try load(from: SafeTensorsFile.read(from: path), path: path)
    }

    /// Rebuilds a policy from checkpoint contents already in memory.
    public static func load(from file: SafeTensorsFile, path: String = "<memory>") throws -> FlowPolicy {
        guard file.metadata["format"] == formatTag, let json = file.metadata["config"] else {
            throw FlowPolicyError.notAPolicyCheckpoint(path: path, reason: "no '\(formatTag)' format tag and config in its metadata")
        }
        let config: FlowPolicyConfig
        do {
            config = try JSONDecoder().decode(FlowPolicyConfig.self, from: Data(json.utf8))
        } catch {
            throw FlowPolicyError.notAPolicyCheckpoint(path: path, reason: "its config does not decode: \(error)")
        }
        try config.validate()
        func stats(_ name: String) throws -> Normalizer {
            Normalizer(mean: try file.tensorValue("normalizer.\(name).mean").scalars,
                       std: try file.tensorValue("normalizer.\(name).std").scalars)
        }
        let obs = try stats("observation"), act = try stats("action")
        guard obs.dim == config.observationDim, act.dim == config.actionDim else {
            throw FlowPolicyError.notAPolicyCheckpoint(path: path, reason: "normaliser widths do not match its config")
        }
        var rng = RandomGenerator(seed: 0)
        let policy = FlowPolicy(config: config, observationNormalizer: obs, actionNormalizer: act, rng: &rng)
        try policy.loadParameterValues(try file.tensorValues(prefix: "params"))
        return policy
    }
}

extension JSONEncoder {
    /// An encoder with sorted keys, so equal configs give byte-identical JSON.
    public static var sortedKeys: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}

extension FlowPolicy {
    /// A copy of this policy with a freshly initialised Flow-Noise noise network (§3.3), for turning
    /// an SFT policy into one that Flow-Noise PPO can train. All other parameters are copied exactly.
    public func addingNoiseNetwork(_ noise: NoiseNetworkConfig = NoiseNetworkConfig(), rng: inout RandomGenerator) throws -> FlowPolicy {
        var c = config
        c.noiseNetwork = noise
        try c.validate()
        let copy = FlowPolicy(config: c, observationNormalizer: observationNormalizer, actionNormalizer: actionNormalizer, rng: &rng)
        var values = copy.parameterValues()
        for (name, value) in parameterValues() where !name.hasPrefix("noiseNetwork.") { values[name] = value }
        try copy.loadParameterValues(values)
        return copy
    }
}
