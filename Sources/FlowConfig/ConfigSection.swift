import Foundation

/// A struct of config knobs that reads itself from YAML, strictly, and writes itself back.
///
/// ```swift
/// let config = try FlowTuneConfig.load(file: "configs/push.yaml", overrides: ["rl.gamma=0.98"])
/// try config.yaml().write(toFile: "runs/push/config.yaml", atomically: true, encoding: .utf8)
/// FlowTuneConfig.leafPaths    // ["run.name", "run.seed", …, "eval.sampler"]
/// ```
///
/// A conforming struct gives every knob an initial value (its default) and lists the knobs in
/// `fields` with a one-line meaning and the allowed range, in the order a reader should meet them.
/// Decoding starts from `init()` and replaces only the keys the YAML names; it rejects keys that
/// are not fields, values of the wrong type and values out of range, each with a `ConfigError`
/// that names the dotted path. A field whose type is itself a `ConfigSection` is a nested mapping.
public protocol ConfigSection: ConfigValue {
    /// Every knob at its default.
    init()
    /// The knobs, in display order.
    static var fields: [ConfigField<Self>] { get }
    /// Checks that need several fields at once (`sigma_min ≤ sigma_max`); `path` is the section's
    /// dotted path ("" for the top level). The default checks nothing.
    func validate(path: String) throws(ConfigError)
}

extension ConfigSection {
    public func validate(path: String) throws(ConfigError) {}

    public static var configTypeName: String {
        "a mapping with keys \(fields.map(\.key).joined(separator: ", "))"
    }

    /// The dotted paths of every knob, sections expanded: `["run.name", "run.seed", …]`.
    public static var leafPaths: [String] {
        fields.flatMap { field in field.nestedPaths.map { $0.map { "\(field.key).\($0)" } } ?? [field.key] }
    }

    /// Decodes a mapping (null counts as an empty one), keeping defaults for keys it does not name,
    /// then checks the ranges of every field and `validate(path:)`.
    public init(configNode node: ConfigNode, path: String) throws(ConfigError) {
        let entries: [ConfigEntry]
        if node.isNull {
            entries = []
        } else if case let .map(mapping) = node {
            entries = mapping
        } else {
            throw ConfigError.wrongType(path: path, expected: "a mapping (section) with keys "
                                            + Self.fields.map(\.key).joined(separator: ", "),
                                        got: node.describedValue)
        }
        self.init()
        let fields = Self.fields
        var seen = Set<String>()
        for entry in entries {
            let childPath = Self.join(path, entry.key)
            guard seen.insert(entry.key).inserted else { throw ConfigError.duplicateKey(path: childPath) }
            guard let field = fields.first(where: { $0.key == entry.key }) else {
                throw ConfigError.unknownKey(path: childPath, section: path, knownKeys: fields.map(\.key),
                                             suggestion: Self.suggestion(for: entry.key, at: path))
            }
            try field.decode(&self, entry.value, childPath)
        }
        try validateAll(path: path)
    }

    public var configNode: ConfigNode {
        .map(Self.fields.map { ConfigEntry(key: $0.key, value: $0.encode(self)) })
    }

    /// Checks every field's range (recursing into sections) and then `validate(path:)`. Call it on
    /// a config built in code; decoding calls it already.
    public func validateAll(path: String = "") throws(ConfigError) {
        for field in Self.fields { try field.check(self, Self.join(path, field.key)) }
        try validate(path: path)
    }

    /// Parses `yaml`, applies `overrides` (`"rl.gamma=0.98"`, in order, later ones winning) and
    /// decodes. `source` names the text in errors.
    public static func load(yaml: String, source: String = "config", overrides: [String] = []) throws(ConfigError) -> Self {
        var node = try ConfigNode.parse(yaml: yaml, source: source)
        for text in overrides { try ConfigOverride(parsing: text).apply(to: &node) }
        return try Self(configNode: node, path: "")
    }

    /// Reads the YAML file at `file` (nil: start from the defaults), applies `overrides`, decodes.
    public static func load(file: String?, overrides: [String] = []) throws(ConfigError) -> Self {
        guard let file else { return try load(yaml: "", source: "defaults", overrides: overrides) }
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) }
        catch {
            let reason = FileManager.default.fileExists(atPath: file)
                ? "it is not readable UTF-8 text" : "no such file"
            throw ConfigError.unreadableFile(path: file, reason: reason)
        }
        return try load(yaml: text, source: "config file '\(file)'", overrides: overrides)
    }

    /// The config as YAML that `load(yaml:)` reads back to an equal value; with `comments`, each
    /// knob carries its meaning and allowed range as a trailing comment.
    public func yaml(comments: Bool = true, header: String? = nil) -> String {
        let lines = yamlLines(indent: 0)
        let width = min(44, lines.filter { $0.comment != nil }.map(\.text.count).max() ?? 0)
        var out = header.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map { "# \($0)\n" }.joined() } ?? ""
        for line in lines {
            if comments, let comment = line.comment {
                let padding = String(repeating: " ", count: max(1, width - line.text.count + 2))
                out += line.text + padding + "# " + comment + "\n"
            } else {
                out += line.text + "\n"
            }
        }
        return out
    }

    /// The lines of `yaml()`, indented by `indent` spaces.
    public func yamlLines(indent: Int) -> [YAMLLine] {
        let pad = String(repeating: " ", count: indent)
        var lines: [YAMLLine] = []
        for field in Self.fields {
            let key = YAMLText.key(field.key)
            if let nested = field.render(self, indent + 2) {
                lines.append(YAMLLine(text: pad + key + ":", comment: field.help))
                lines.append(contentsOf: nested)
            } else {
                let comment = field.allowed.map { "\(field.help) [\($0)]" } ?? Self.enumComment(field)
                lines.append(YAMLLine(text: pad + key + ": " + YAMLText.inline(field.encode(self)), comment: comment))
            }
        }
        return lines
    }

    private static func enumComment(_ field: ConfigField<Self>) -> String {
        field.typeName.hasPrefix("one of ") ? "\(field.help) [\(field.typeName)]" : field.help
    }

    /// The dotted path of `key` inside the section at `path` ("" for the top level).
    public static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The closest known key to a misspelt one in this section, or else a knob anywhere below it
    /// with that name (`actor_lr` at the top level suggests `rl.actor_lr`). A full dotted path.
    static func suggestion(for key: String, at path: String) -> String? {
        if let near = ClosestName.find(key, in: fields.map(\.key)) { return join(path, near) }
        let deeper = leafPaths.filter { $0.contains(".") }
        if let exact = deeper.first(where: { $0.split(separator: ".").last.map(String.init) == key }) {
            return join(path, exact)
        }
        let lastNames = deeper.map { String($0.split(separator: ".").last!) }
        if let near = ClosestName.find(key, in: lastNames), let index = lastNames.firstIndex(of: near) {
            return join(path, deeper[index])
        }
        return nil
    }
}
