/// Errors of RL training that are not config errors caught while decoding.
public enum RLError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(field: String, rule: String)
    case policyMismatch(reason: String)
    case notACheckpoint(path: String, reason: String)
    case ranksDiverged(iteration: Int)

    public var description: String {
        switch self {
        case .invalidConfig(let field, let rule): return "RL config field '\(field)' \(rule)."
        case .policyMismatch(let reason): return "The policy does not fit this training setup: \(reason)."
        case .notACheckpoint(let path, let reason):
            return "\(path) is not a FlowTune training checkpoint (\(reason)); resume from a run directory written by `flowtune train`."
        case .ranksDiverged(let iteration):
            return "after iteration \(iteration) the ranks' policies differ although every rank took the same steps; the ranks' machines compute "
                + "differently (different CPUs or builds); run every rank on the same kind of machine with the same flowtune build (docs/distributed.md)."
        }
    }
}
