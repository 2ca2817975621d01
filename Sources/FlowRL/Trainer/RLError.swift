/// Errors of RL training that are not config errors caught while decoding.
public enum RLError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(field: String, rule: String)
    case policyMismatch(reason: String)
    case notACheckpoint(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidConfig(let field, let rule): return "RL config field '\(field)' \(rule)."
        case .policyMismatch(let reason): return "The policy does not fit this training setup: \(reason)."
        case .notACheckpoint(let path, let reason):
            return "\(path) is not a FlowTune training checkpoint (\(reason)); resume from a run directory written by `flowtune train`."
        }
    }
}
