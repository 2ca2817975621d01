import Foundation
import Yams

/// A parsed config document before it is checked against a schema: scalars keep their text and
/// whether they were quoted, so `"5"` (a string) and `5` (a number) stay distinguishable.
///
/// ```swift
/// var node = try ConfigNode.parse(yaml: "rl:\n  gamma: 0.99\n", source: "config.yaml")
/// try node.set(["rl", "gamma"], to: .scalar("0.9"))
/// node["rl"]?["gamma"]    // .scalar("0.9", style: .plain)
/// ```
public indirect enum ConfigNode: Sendable, Equatable {
    /// A scalar's text; `.plain` scalars are typed by their text, `.quoted` ones are always strings.
    case scalar(String, style: ScalarStyle)
    case list([ConfigNode])
    /// A mapping in document order.
    case map([ConfigEntry])

    public enum ScalarStyle: Sendable, Equatable { case plain, quoted }

    /// A plain scalar.
    public static func scalar(_ text: String) -> ConfigNode { .scalar(text, style: .plain) }
    /// YAML's null (`null`, `~` or nothing).
    public static let null = ConfigNode.scalar("null", style: .plain)
    /// An empty mapping.
    public static let emptyMap = ConfigNode.map([])

    /// True for a plain `null`, `Null`, `NULL`, `~` or empty scalar.
    public var isNull: Bool {
        guard case let .scalar(text, .plain) = self else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(text)
    }

    /// The value of `key` when this is a mapping.
    public subscript(key: String) -> ConfigNode? {
        guard case let .map(entries) = self else { return nil }
        return entries.last { $0.key == key }?.value
    }

    /// How an error message shows this value: `'many'`, `the string "5"`, `a list [1, 2]`, `a mapping`.
    public var describedValue: String {
        switch self {
        case let .scalar(text, .plain): return isNull ? "null" : "'\(text)'"
        case let .scalar(text, .quoted): return "the string \"\(text)\""
        case let .list(items):
            let shown = items.prefix(8).map { item -> String in
                if case let .scalar(text, _) = item { return text }
                return "…"
            }
            return "a list [\(shown.joined(separator: ", "))\(items.count > 8 ? ", …" : "")]"
        case .map: return "a mapping"
        }
    }

    /// Sets the value at `path`, creating the mappings on the way (a null on the way counts as an
    /// empty mapping, as `rl:` with nothing under it does in YAML).
    public mutating func set(_ path: [String], to value: ConfigNode) throws(ConfigError) {
        guard let first = path.first else {
            self = value
            return
        }
        if isNull { self = .emptyMap }
        guard case var .map(entries) = self else {
            throw ConfigError.invalidOverride(override: path.joined(separator: "."),
                                              reason: "the path goes through a value that is not a section")
        }
        let rest = Array(path.dropFirst())
        if let index = entries.lastIndex(where: { $0.key == first }) {
            try entries[index].value.set(rest, to: value)
        } else {
            var child = ConfigNode.emptyMap
            try child.set(rest, to: value)
            entries.append(ConfigEntry(key: first, value: child))
        }
        self = .map(entries)
    }

    /// Parses one YAML document; an empty document is an empty mapping. `source` names the text in
    /// errors (`"configs/push.yaml"`, `"--set rl.gamma=…"`).
    public static func parse(yaml: String, source: String) throws(ConfigError) -> ConfigNode {
        let node: Node?
        do { node = try Yams.compose(yaml: yaml) }
        catch let error as YamlError { throw Self.describe(error, source: source) }
        catch { throw ConfigError.invalidYAML(source: source, line: nil, message: "\(error)") }
        guard let node else { return .emptyMap }
        return try convert(node, source: source)
    }

    /// Parses the value part of a `--set` override as a YAML scalar, list or mapping.
    public static func parseValue(_ text: String, source: String) throws(ConfigError) -> ConfigNode {
        if text.trimmingCharacters(in: .whitespaces).isEmpty { return .null }
        return try parse(yaml: text, source: source)
    }

    private static func convert(_ node: Node, source: String) throws(ConfigError) -> ConfigNode {
        switch node {
        case let .scalar(scalar):
            return .scalar(scalar.string, style: scalar.style == .plain || scalar.style == .any ? .plain : .quoted)
        case let .sequence(sequence):
            var items: [ConfigNode] = []
            for item in sequence { items.append(try convert(item, source: source)) }
            return .list(items)
        case let .mapping(mapping):
            var entries: [ConfigEntry] = []
            for (key, value) in mapping {
                guard case let .scalar(keyScalar) = key else {
                    throw ConfigError.invalidYAML(source: source, line: key.mark?.line,
                                                  message: "a mapping key must be a plain name")
                }
                entries.append(ConfigEntry(key: keyScalar.string, value: try convert(value, source: source)))
            }
            return .map(entries)
        }
    }

    private static func describe(_ error: YamlError, source: String) -> ConfigError {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return .invalidYAML(source: source, line: mark.line, message: problem)
        case let .reader(problem, _, _, _):
            return .invalidYAML(source: source, line: nil, message: problem)
        default:
            return .invalidYAML(source: source, line: nil, message: "\(error)")
        }
    }
}

/// One `key: value` pair of a `ConfigNode.map`.
public struct ConfigEntry: Sendable, Equatable {
    public var key: String
    public var value: ConfigNode

    public init(key: String, value: ConfigNode) {
        self.key = key
        self.value = value
    }
}
