/// The registry of built-in tasks, by id.
///
/// ```swift
/// let env = try BuiltinEnvironments.make(id: "pick-place", numEnvs: 64)
/// let expert = try BuiltinEnvironments.makeExpert(for: env, seed: 3)
/// BuiltinEnvironments.ids     // ["reach-obstacle", "push", "pick-place", "multitask"]
/// ```
///
/// Ids: `reach-obstacle` (`ReachObstacleEnv`), `push` (`PushEnv`), `pick-place` (`PickPlaceEnv`),
/// `multitask` (`MultiTaskEnv`); `push-block` is accepted as another name for `push`. Each task's
/// own `Config` has every knob; `Options` carries the few that every task shares.
public enum BuiltinEnvironments {
    /// The canonical ids, in the order `flowtune envs` lists them.
    public static let ids: [String] = ["reach-obstacle", "push", "pick-place", "multitask"]
    /// Other accepted names and the id they stand for.
    public static let aliases: [String: String] = ["push-block": "push"]

    /// Settings shared by every built-in task.
    public struct Options: Sendable, Equatable {
        /// Add each task's documented shaping terms to the sparse success reward.
        public var shapedReward: Bool
        /// A time limit in steps for every task whose own limit is longer; nil keeps each task's own.
        public var maxEpisodeSteps: Int?
        public var invalidActionPolicy: InvalidActionPolicy
        /// State vectors, the top-down camera's frames, or both (`PixelObservationEnv`).
        public var observation: ObservationMode
        /// Frames are `imageSize × imageSize` RGB (pixel observations only).
        public var imageSize: Int

        public init(shapedReward: Bool = false, maxEpisodeSteps: Int? = nil, invalidActionPolicy: InvalidActionPolicy = .zeroAndCount,
                    observation: ObservationMode = .state, imageSize: Int = 64) {
            precondition((maxEpisodeSteps ?? 1) >= 1, "a time limit must be at least one step")
            self.shapedReward = shapedReward
            self.maxEpisodeSteps = maxEpisodeSteps
            self.invalidActionPolicy = invalidActionPolicy
            self.observation = observation
            self.imageSize = imageSize
        }

        /// `own`, or the shorter `maxEpisodeSteps`.
        func timeLimit(_ own: Int) -> Int { TaskDescription.timeLimit(own, cappedAt: maxEpisodeSteps) }
    }

    /// Errors in choosing a built-in environment.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case unknownID(String, valid: [String])
        case invalidNumEnvs(Int)
        case noExpert(envID: String)

        public var description: String {
            switch self {
            case let .unknownID(id, valid):
                return "unknown environment id '\(id)'; valid ids are: \(valid.joined(separator: ", "))."
            case let .invalidNumEnvs(n):
                return "numEnvs must be at least 1, got \(n)."
            case let .noExpert(envID):
                return "there is no scripted expert for environment '\(envID)'; experts exist for the built-in ids "
                    + "\(BuiltinEnvironments.ids.joined(separator: ", ")) created by BuiltinEnvironments.make."
            }
        }
    }

    /// The canonical id for `id` (resolving aliases), or throws `Error.unknownID` listing valid ids.
    public static func canonicalID(_ id: String) throws -> String {
        if ids.contains(id) { return id }
        if let target = aliases[id] { return target }
        throw Error.unknownID(id, valid: ids + aliases.keys.sorted())
    }

    /// A new vector of `numEnvs` environments of task `id`; call `reset(seeds:)` before stepping.
    public static func make(id: String, numEnvs: Int, options: Options = Options()) throws -> any VectorEnv {
        let env = try makeSimulator(id: id, numEnvs: numEnvs, options: options)
        guard options.observation != .state else { return env }
        return try PixelObservationEnv(wrapping: env, mode: options.observation, size: options.imageSize)
    }

    /// The task itself, observed through its state vector.
    private static func makeSimulator(id: String, numEnvs: Int, options: Options) throws -> any FrameRendering {
        let canonical = try canonicalID(id)
        guard numEnvs >= 1 else { throw Error.invalidNumEnvs(numEnvs) }
        switch canonical {
        case "reach-obstacle":
            return ReachObstacleEnv(numEnvs: numEnvs, config: .init(
                shapedReward: options.shapedReward, maxEpisodeSteps: options.timeLimit(ReachObstacleEnv.Config().maxEpisodeSteps),
                invalidActionPolicy: options.invalidActionPolicy))
        case "push":
            return PushEnv(numEnvs: numEnvs, config: .init(
                shapedReward: options.shapedReward, maxEpisodeSteps: options.timeLimit(PushEnv.Config().maxEpisodeSteps),
                invalidActionPolicy: options.invalidActionPolicy))
        case "pick-place":
            return PickPlaceEnv(numEnvs: numEnvs, config: .init(
                shapedReward: options.shapedReward, maxEpisodeSteps: options.timeLimit(PickPlaceEnv.Config().maxEpisodeSteps),
                invalidActionPolicy: options.invalidActionPolicy))
        default:
            return MultiTaskEnv(numEnvs: numEnvs, config: .init(shapedReward: options.shapedReward, maxEpisodeSteps: options.maxEpisodeSteps,
                                                                invalidActionPolicy: options.invalidActionPolicy))
        }
    }

    /// The scripted expert for a built-in environment (matching its configuration and tasks).
    public static func makeExpert(for env: any VectorEnv, noiseStd: Float = defaultExpertNoiseStd,
                                  seed: UInt64 = 0) throws -> any ScriptedExpert {
        switch env {
        case let e as ReachObstacleEnv: return ReachObstacleExpert(env: e, noiseStd: noiseStd, seed: seed)
        case let e as PushEnv: return PushExpert(env: e, noiseStd: noiseStd, seed: seed)
        case let e as PickPlaceEnv: return PickPlaceExpert(env: e, noiseStd: noiseStd, seed: seed)
        case let e as MultiTaskEnv: return MultiTaskExpert(env: e, noiseStd: noiseStd, seed: seed)
        case let e as PixelObservationEnv:
            return StateReadingExpert(env: e, expert: try makeExpert(for: e.wrapped, noiseStd: noiseStd, seed: seed))
        default: throw Error.noExpert(envID: env.spec.id)
        }
    }
}
