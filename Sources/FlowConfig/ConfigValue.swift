import Foundation

/// A type a config field can have: it decodes itself from a `ConfigNode` (strictly: `"5"` is not an
/// integer, `2.5` is not an integer, `yes` is a boolean) and encodes itself back to one.
///
/// ```swift
/// let n = try Int(configNode: .scalar("64"), path: "env.num_envs")    // 64
/// try Int(configNode: .scalar("many"), path: "env.num_envs")          // ConfigError.wrongType
/// [256, 256].configNode                                               // .list([.scalar("256"), …])
/// ```
///
/// Conformances: `Int`, `Double`, `Bool`, `String`, `Optional` and `Array` of conforming types,
/// every `ConfigEnum`, and every `ConfigSection` (a nested mapping).
public protocol ConfigValue: Sendable, Equatable {
    /// The type as an error message names it: "an integer", "a list of numbers", "one of a, b".
    static var configTypeName: String { get }
    /// The type in the plural, for lists: "integers".
    static var configTypeNamePlural: String { get }
    /// Decodes a value, throwing `ConfigError` that names `path` when `node` has the wrong type.
    init(configNode node: ConfigNode, path: String) throws(ConfigError)
    /// The value as a node that decodes back to an equal value.
    var configNode: ConfigNode { get }
}

extension ConfigValue {
    public static var configTypeNamePlural: String { "values that are each \(configTypeName)" }
}

/// Parsing of plain scalar text shared by the numeric conformances.
public enum PlainScalar {
    /// Digits with an optional sign and `_` separators (`1_000_000`), or an integral value in
    /// scientific notation (`1e6`).
    public static func int(_ text: String) -> Int? {
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        if let value = Int(cleaned) { return value }
        guard cleaned.contains(where: { $0 == "e" || $0 == "E" }), let double = Double(cleaned),
              double.rounded() == double, abs(double) < 9.0e15 else { return nil }
        return Int(double)
    }

    /// A finite decimal number (`0.99`, `1e-5`, `3`, `1_000.5`); YAML's `.inf`/`.nan` are rejected.
    public static func double(_ text: String) -> Double? {
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        guard let first = cleaned.first, first.isNumber || first == "-" || first == "+" || first == "." else {
            return nil
        }
        guard let value = Double(cleaned), value.isFinite else { return nil }
        return value
    }

    /// YAML 1.1's booleans, which is what most config files in the wild use (`yes`, `on`, …).
    public static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }
}

extension Int: ConfigValue {
    public static var configTypeName: String { "an integer" }
    public static var configTypeNamePlural: String { "integers" }

    public init(configNode node: ConfigNode, path: String) throws(ConfigError) {
        guard case let .scalar(text, .plain) = node, !node.isNull, let value = PlainScalar.int(text) else {
            throw ConfigError.wrongType(path: path, expected: Self.configTypeName, got: node.describedValue)
        }
        self = value
    }

    public var configNode: ConfigNode { .scalar(String(self)) }
}

extension Double: ConfigValue {
    public static var configTypeName: String { "a number" }
    public static var configTypeNamePlural: String { "numbers" }

    public init(configNode node: ConfigNode, path: String) throws(ConfigError) {
        guard case let .scalar(text, .plain) = node, !node.isNull, let value = PlainScalar.double(text) else {
            throw ConfigError.wrongType(path: path, expected: "a finite number", got: node.describedValue)
        }
        self = value
    }

    /// Shortest text that reads back to the same `Double`, always with a `.` so that YAML 1.1
    /// readers (PyYAML) also see a float: `1e-05` is written `1.0e-05`.
    public var configNode: ConfigNode { .scalar(Self.yamlText(self)) }

    public static func yamlText(_ value: Double) -> String {
        var text = "\(value)"
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            var mantissa = String(text[..<e])
            var exponent = String(text[text.index(after: e)...])
            if !mantissa.contains(".") { mantissa += ".0" }
            if !exponent.hasPrefix("-") && !exponent.hasPrefix("+") { exponent = "+" + exponent }
            text = mantissa + "e" + exponent
        } else if !text.contains(".") {
            text += ".0"
        }
        return text
    }
}

extension Bool: ConfigValue {
    public static var configTypeName: String { "true or false" }
    public static var configTypeNamePlural: String { "booleans (true or false)" }

    public init(configNode node: ConfigNode, path: String) throws(ConfigError) {
        guard case let .scalar(text, .plain) = node, let value = PlainScalar.bool(text) else {
            throw ConfigError.wrongType(path: path, expected: Self.configTypeName, got: node.describedValue)
        }
        self = value
    }

    public var configNode: ConfigNode { .scalar(self ? "true" : "false") }
}

extension String: ConfigValue {
    public static var configTypeName: String { "a string" }
    public static var configTypeNamePlural: String { "strings" }

    /// Any scalar but null: a plain `2024` is the string "2024" here, since the field asks for text.
    public init(configNode node: ConfigNode, path: String) throws(ConfigError) {
        guard case let .scalar(text, _) = node, !node.isNull else {
            throw ConfigError.wrongType(path: path, expected: Self.configTypeName, got: node.describedValue)
        }
        self = text
    }

    /// Plain when YAML 1.1 and 1.2 readers would both read the text back as this string, else quoted.
    public var configNode: ConfigNode {
        .scalar(self, style: YAMLText.isSafePlainString(self) ? .plain : .quoted)
    }
}

extension Optional: ConfigValue where Wrapped: ConfigValue {
    public static var configTypeName: String { "\(Wrapped.configTypeName) or null" }

    public init(configNode node: ConfigNode, path: String) throws(ConfigError) {
        if node.isNull {
            self = nil
            return
        }
        do {
            self = try Wrapped(configNode: node, path: path)
        } catch let .wrongType(errorPath, _, got) where errorPath == path {
            throw ConfigError.wrongType(path: path, expected: Self.configTypeName, got: got)
        }
    }

    public var configNode: ConfigNode { self?.configNode ?? .null }
}

extension Array: ConfigValue where Element: ConfigValue {
    public static var configTypeName: String { "a list of \(Element.configTypeNamePlural)" }

    public init(configNode node: ConfigNode, path: String) throws(ConfigError) {
        guard case let .list(items) = node else {
            throw ConfigError.wrongType(path: path, expected: Self.configTypeName, got: node.describedValue)
        }
        var values: [Element] = []
        for (index, item) in items.enumerated() {
            values.append(try Element(configNode: item, path: "\(path)[\(index)]"))
        }
        self = values
    }

    public var configNode: ConfigNode { .list(map(\.configNode)) }
}

/// A closed set of named choices, written in YAML as their raw values (`algo: fpo++`).
///
/// ```swift
/// public enum ValueLoss: String, ConfigEnum { case huber, mse }
/// ```
public protocol ConfigEnum: ConfigValue, RawRepresentable, CaseIterable where RawValue == String {}

extension ConfigEnum {
    public static var configTypeName: String {
        "one of \(allCases.map(\.rawValue).joined(separator: ", "))"
    }

    public static var configTypeNamePlural: String { "values each \(configTypeName)" }

    /// The raw value, forgiving case and `_` for `-` (`Flow_SDE` reads as `flow-sde`).
    public init(configNode node: ConfigNode, path: String) throws(ConfigError) {
        let allowed = Self.allCases.map(\.rawValue)
        guard case let .scalar(text, _) = node, !node.isNull else {
            throw ConfigError.wrongType(path: path, expected: Self.configTypeName, got: node.describedValue)
        }
        let normalized = { (s: String) in s.lowercased().replacingOccurrences(of: "_", with: "-") }
        guard let match = Self.allCases.first(where: { normalized($0.rawValue) == normalized(text) }) else {
            throw ConfigError.notAllowed(path: path, value: text, allowed: allowed,
                                         suggestion: ClosestName.find(text, in: allowed))
        }
        self = match
    }

    public var configNode: ConfigNode { .scalar(rawValue, style: YAMLText.isSafePlainString(rawValue) ? .plain : .quoted) }
}
