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
/// `libero/object` and `libero/object/<k>` (after `scripts/install-libero`),
/// `gym/<gymnasium id>` and `pusht`. Bridge ids are checked by
/// the worker, which lists the valid ones (or names the package to install) when an id is wrong.
public enum EnvironmentRegistry {
    /// The forms of the bridge ids, as error messages and `flowtune envs` show them.
    public static let bridgeIDPatterns = ["metaworld/<task>-v3", "metaworld/MT10", "metaworld/MT50",
                                          "maniskill/<task>", "libero/object", "libero/object/<k>",
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

    /// A new vector of `numEnvs` environments `id`; call `reset(seeds:)` before stepping and `close()`
    /// when done (bridge environments also close their workers when released).
    public static func make(id: String, numEnvs: Int, options: BuiltinEnvironments.Options = .init(),
                            bridge: PythonBridgeEnv.Configuration = .init()) throws -> any VectorEnv {
        let canonical = try canonicalID(id)
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
