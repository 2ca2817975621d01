/// One knob of a config section: its YAML key, where it lives in the struct, a one-line meaning,
/// and (for numbers) its allowed range. The default is the property's initial value.
///
/// ```swift
/// public struct Evaluation: ConfigSection {
///     public var episodes = 200
///     public init() {}
///     public static var fields: [ConfigField<Self>] {[
///         .init("episodes", \.episodes, "evaluation episodes at the end of training", .atLeast(1)),
///     ]}
/// }
/// ```
public struct ConfigField<Root: ConfigSection> {
    /// The YAML key (snake_case).
    public let key: String
    /// What the knob means, in one line; written as a comment into saved configs.
    public let help: String
    /// The type as error messages name it ("an integer", "one of film, concat").
    public let typeName: String
    /// The allowed values beyond the type ("at least 1"), or nil when the type is the only rule.
    public let allowed: String?
    /// For a field that is itself a section: the dotted paths of every knob below it.
    public let nestedPaths: [String]?

    let decode: (inout Root, ConfigNode, String) throws(ConfigError) -> Void
    let encode: (Root) -> ConfigNode
    let check: (Root, String) throws(ConfigError) -> Void
    let render: (Root, Int) -> [YAMLLine]?

    init<V: ConfigValue>(key: String, keyPath: WritableKeyPath<Root, V>, help: String, allowed: String?,
                         check: @escaping (V, String) throws(ConfigError) -> Void) {
        self.key = key
        self.help = help
        self.typeName = V.configTypeName
        self.allowed = allowed
        self.nestedPaths = (V.self as? any ConfigSection.Type)?.leafPaths
        self.decode = { (root: inout Root, node: ConfigNode, path: String) throws(ConfigError) in
            root[keyPath: keyPath] = try V(configNode: node, path: path)
        }
        self.encode = { $0[keyPath: keyPath].configNode }
        self.check = { (root: Root, path: String) throws(ConfigError) in try check(root[keyPath: keyPath], path) }
        self.render = { root, indent in
            (root[keyPath: keyPath] as? any ConfigSection)?.yamlLines(indent: indent)
        }
    }

    /// A field whose type is its only rule (booleans, strings, enumerations, sections).
    public init<V: ConfigValue>(_ key: String, _ keyPath: WritableKeyPath<Root, V>, _ help: String) {
        self.init(key: key, keyPath: keyPath, help: help, allowed: nil) { (value: V, path: String) throws(ConfigError) in
            if let section = value as? any ConfigSection { try section.validateAll(path: path) }
        }
    }

    /// A number that must lie within `bounds`.
    public init<V: ConfigValue & Comparable>(_ key: String, _ keyPath: WritableKeyPath<Root, V>, _ help: String,
                                             _ bounds: ConfigBounds<V>) {
        self.init(key: key, keyPath: keyPath, help: help, allowed: bounds.description) { (value: V, path: String) throws(ConfigError) in
            guard bounds.contains(value) else {
                throw ConfigError.outOfRange(path: path, value: YAMLText.inline(value.configNode), allowed: bounds.description)
            }
        }
    }

    /// An optional number that, when set, must lie within `bounds` (null switches the feature off).
    public init<V: ConfigValue & Comparable>(_ key: String, _ keyPath: WritableKeyPath<Root, V?>, _ help: String,
                                             _ bounds: ConfigBounds<V>) {
        self.init(key: key, keyPath: keyPath, help: help, allowed: "null or " + bounds.description) { (value: V?, path: String) throws(ConfigError) in
            guard let value else { return }
            guard bounds.contains(value) else {
                throw ConfigError.outOfRange(path: path, value: YAMLText.inline(value.configNode),
                                             allowed: "null or " + bounds.description)
            }
        }
    }

    /// A list of numbers, each within `each`, with a length within `count`.
    public init<V: ConfigValue & Comparable>(_ key: String, _ keyPath: WritableKeyPath<Root, [V]>, _ help: String,
                                             each: ConfigBounds<V>, count: ConfigBounds<Int> = .atLeast(0)) {
        let allowed = count.lower == 0 && count.upper == nil
            ? "each \(each.description)" : "a list of \(count.description) items, each \(each.description)"
        self.init(key: key, keyPath: keyPath, help: help, allowed: allowed) { (values: [V], path: String) throws(ConfigError) in
            guard count.contains(values.count) else {
                throw ConfigError.outOfRange(path: path, value: YAMLText.inline(values.configNode), allowed: allowed)
            }
            for (index, value) in values.enumerated() where !each.contains(value) {
                throw ConfigError.outOfRange(path: "\(path)[\(index)]", value: YAMLText.inline(value.configNode),
                                             allowed: each.description)
            }
        }
    }
}

/// One line of a YAML rendering, kept apart from its comment so comments can be aligned.
public struct YAMLLine: Sendable, Equatable {
    public var text: String
    public var comment: String?
}
