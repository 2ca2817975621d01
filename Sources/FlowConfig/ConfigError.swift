/// Everything a user can get wrong in a config file or a `--set` override.
///
/// ```swift
/// do { let config = try FlowTuneConfig.load(file: "configs/push.yaml", overrides: ["rl.gama=0.9"]) }
/// catch { print(error) }   // unknown config key 'rl.gama' (did you mean 'rl.gamma'?); section 'rl' accepts: …
/// ```
///
/// Every case names the dotted path of the offending key (`rl.actor_lr`) and, where there is one,
/// what would have been accepted. `description` is one sentence that says what to do.
public enum ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A key that section `section` (dotted path, empty for the top level) does not have.
    /// `suggestion` is the closest known key (a full dotted path), when one is close enough.
    case unknownKey(path: String, section: String, knownKeys: [String], suggestion: String?)
    /// The value at `path` is not of the field's type; `expected` reads "an integer", "a list of numbers", ….
    case wrongType(path: String, expected: String, got: String)
    /// The value at `path` is of the right type but outside `allowed` ("at least 1", "between 0 and 1").
    case outOfRange(path: String, value: String, allowed: String)
    /// The value at `path` is not one of `allowed` (an enumeration such as `rl.algo`).
    case notAllowed(path: String, value: String, allowed: [String], suggestion: String?)
    /// The same key appears twice in one mapping.
    case duplicateKey(path: String)
    /// Fields that are each valid but do not fit together; `message` explains how.
    case inconsistent(paths: [String], message: String)
    /// A `--set` argument that is not of the form `key.path=value`; `reason` says what is wrong.
    case invalidOverride(override: String, reason: String)
    /// The text from `source` (a file path or `--set …`) is not valid YAML.
    case invalidYAML(source: String, line: Int?, message: String)
    /// The config file could not be read.
    case unreadableFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownKey(path, section, known, suggestion):
            let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
            let owner = section.isEmpty ? "the top level" : "section '\(section)'"
            return "Unknown config key '\(path)'\(hint); \(owner) accepts: \(known.joined(separator: ", "))."
        case let .wrongType(path, expected, got):
            return "Config key '\(Self.display(path))' must be \(expected), but got \(got); fix it in the config "
                + "file or with --set \(Self.display(path))=VALUE."
        case let .outOfRange(path, value, allowed):
            return "Config key '\(path)' is \(value), but it must be \(allowed); choose a value in that range."
        case let .notAllowed(path, value, allowed, suggestion):
            let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
            return "Config key '\(path)' is '\(value)', which is not allowed\(hint); allowed values: "
                + "\(allowed.joined(separator: ", "))."
        case let .duplicateKey(path):
            return "Config key '\(path)' appears more than once in the same section; keep only one of them."
        case let .inconsistent(paths, message):
            return "Config keys \(paths.map { "'\($0)'" }.joined(separator: " and ")) do not fit together: \(message)"
        case let .invalidOverride(override, reason):
            return "The override '--set \(override)' is invalid (\(reason)); write it as --set key.path=value, "
                + "e.g. --set rl.actor_lr=1e-5."
        case let .invalidYAML(source, line, message):
            let at = line.map { " at line \($0)" } ?? ""
            return "\(source) is not valid YAML\(at) (\(message)); fix the syntax there."
        case let .unreadableFile(path, reason):
            return "Cannot read config file '\(path)' (\(reason)); check the path given to --config."
        }
    }

    /// The path as users write it; the top level has no name of its own.
    static func display(_ path: String) -> String { path.isEmpty ? "(top level)" : path }
}
