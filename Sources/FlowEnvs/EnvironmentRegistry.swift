import Foundation

/// One function that resolves any environment id: the built-in tasks, and the Python simulators
/// reached through the worker bridge.
///
/// ```swift
/// let env = try EnvironmentRegistry.make(id: "metaworld/reach-v3", numEnvs: 16)   // or "push", "gym/Pendulum-v1"
/// let expert = try EnvironmentRegistry.makeExpert(for: env, seed: 3)
/// defer { env.close() }                                                              // stops bridge workers
/// ```
///
/// Ids: the built-in ones (`BuiltinEnvironments.ids` and aliases), `metaworld/<task>-v3` (MT1),
/// `metaworld/MT10`, `metaworld/MT50`, `maniskill/<task>` (after `scripts/install-maniskill`),
/// `libero/object`, `libero/object/<k>`, `libero/spatial` and `libero/spatial/<k>` (after
/// `scripts/install-libero`), `gym/<gymnasium id>` and `pusht`. Bridge ids are checked by
/// the worker, which lists the valid ones (or names the package to install) when an id is wrong.
public enum EnvironmentRegistry {
    /// The forms of the bridge ids, as error messages and `flowtune envs` show them.
    public static let bridgeIDPatterns = ["metaworld/<task>-v3", "metaworld/MT10", "metaworld/MT50",
                                          "maniskill/<task>", "libero/object", "libero/object/<k>",
                                          "libero/spatial", "libero/spatial/<k>",
                                          "gym/<gymnasium id>", "pusht"]

    /// Whether the bridge environment `id` can be observed through a camera (MetaWorld's `corner`,
    /// python/PROTOCOL.md "Images"); gymnasium ids and pusht are state-only.
    public static func hasCamera(_ id: String) -> Bool { id.hasPrefix("metaworld/") }

    /// Whether `id` names an environment hosted by Python workers.
    public static func isBridgeID(_ id: String) -> Bool {
        id.hasPrefix("metaworld/") || id.hasPrefix("maniskill/") || id.hasPrefix("libero/") || id.hasPrefix("gym/")
            || id == "pusht"
    }

    /// The canonical id (aliases resolved); throws `BuiltinEnvironments.Error.unknownID` listing the
    /// built-in ids and the bridge id forms.
    public static func canonicalID(_ id: String) throws -> String {
        if isBridgeID(id) { return id }
        do { return try BuiltinEnvironments.canonicalID(id) } catch {
            throw BuiltinEnvironments.Error.unknownID(id, valid: BuiltinEnvironments.ids + BuiltinEnvironments.aliases.keys.sorted()
                                                      + bridgeIDPatterns)
        }
    }

    /// Memory one environment of `id` holds, for the suites where that limits how many can run at
    /// once: a LIBERO environment (a robosuite scene with its meshes) measured about 250 MB, so 300 MB
    /// is budgeted (docs/simulators.md, "LIBERO"); nil for the others (MetaWorld's hold tens of MB).
    public static func bytesPerEnvironment(_ id: String) -> Int? { id.hasPrefix("libero/") ? 300 << 20 : nil }

    /// How many environments of `id` fit into half of this machine's memory; nil when `id` has no
    /// known per-environment cost. Evaluation steps at most this many at once.
    public static func environmentsThatFit(_ id: String) -> Int? {
        guard let bytes = bytesPerEnvironment(id) else { return nil }
        return max(1, Int(ProcessInfo.processInfo.physicalMemory / 2) / bytes)
    }

    /// Refuses `numEnvs` environments of `id` when they would need more than 80% of the memory.
    static func checkMemory(id: String, numEnvs: Int) throws {
        guard let bytes = bytesPerEnvironment(id) else { return }
        let needed = Double(bytes) * Double(numEnvs), available = Double(ProcessInfo.processInfo.physicalMemory)
        guard needed > 0.8 * available else { return }
        throw RegistryError.tooManyEnvironments(envID: id, numEnvs: numEnvs, neededGiB: needed / Double(1 << 30),
                                                 memoryGiB: available / Double(1 << 30),
                                                 fitting: Int(0.8 * available / Double(bytes)))
    }

    public enum RegistryError: Error, Equatable, CustomStringConvertible {
        case tooManyEnvironments(envID: String, numEnvs: Int, neededGiB: Double, memoryGiB: Double, fitting: Int)

        public var description: String {
            switch self {
            case let .tooManyEnvironments(id, n, needed, memory, fitting):
                return "\(n) environments of \(id) need about \(String(format: "%.0f", needed)) GiB of memory, and this machine "
                    + "has \(String(format: "%.0f", memory)) GiB; use at most \(fitting) (env.num_envs, or --num-envs)"
            }
        }
    }

    /// A new vector of `numEnvs` environments `id`; call `reset(seeds:)` before stepping and `close()`
    /// when done (bridge environments also close their workers when released). Throws
    /// `RegistryError.tooManyEnvironments` when they cannot fit into memory.
    public static func make(id: String, numEnvs: Int, options: BuiltinEnvironments.Options = .init(),
                            bridge: PythonBridgeEnv.Configuration = .init()) throws -> any VectorEnv {
        let canonical = try canonicalID(id)
        try checkMemory(id: canonical, numEnvs: numEnvs)
        guard isBridgeID(canonical) else { return try BuiltinEnvironments.make(id: canonical, numEnvs: numEnvs, options: options) }
        guard options.observation == .state || hasCamera(canonical) else { throw PixelObservationError.notRendered(envID: canonical) }
        return try PythonBridgeEnv(id: canonical, numEnvs: numEnvs,
                                   options: .init(denseReward: options.shapedReward, maxEpisodeSteps: options.maxEpisodeSteps,
                                                  invalidActionPolicy: options.invalidActionPolicy,
                                                  observation: options.observation, imageSize: options.imageSize),
                                   configuration: bridge)
    }

    /// The scripted expert for `env`: the built-in one, or the simulator's own through the bridge
    /// (which resets `env` with seeds 0..<numEnvs if it has not been reset yet).
    public static func makeExpert(for env: any VectorEnv, noiseStd: Float = defaultExpertNoiseStd,
                                  seed: UInt64 = 0) throws -> any ScriptedExpert {
        if let bridged = env as? PythonBridgeEnv { return try BridgeExpert(env: bridged, noiseStd: noiseStd, seed: seed) }
        return try BuiltinEnvironments.makeExpert(for: env, noiseStd: noiseStd, seed: seed)
    }
}
