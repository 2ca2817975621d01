import Foundation

/// A Hydra-style `--set key.path=value` override, applied to the parsed YAML before validation, so
/// an override is checked exactly like the same value written in the file.
///
/// ```swift
/// let o = try ConfigOverride(parsing: "policy.encoder_widths=[512, 512]")
/// o.path    // ["policy", "encoder_widths"]
/// o.value   // .list([.scalar("512"), .scalar("512")])
/// try o.apply(to: &node)
/// ```
///
/// The value is parsed as YAML: `1e-5` and `0.9` are numbers, `[1, 2]` a list, `null` or nothing
/// after `=` is null, `"5"` a string. Keys are not checked here; decoding rejects unknown ones.
public struct ConfigOverride: Sendable, Equatable {
    /// The dotted path, split.
    public var path: [String]
    public var value: ConfigNode
    /// The argument as given.
    public var text: String

    public init(parsing text: String) throws(ConfigError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw ConfigError.invalidOverride(override: text, reason: "there is no '='")
        }
        let pathText = text[..<equals].trimmingCharacters(in: .whitespaces)
        let path = pathText.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !pathText.isEmpty, path.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else {
            throw ConfigError.invalidOverride(override: text,
                                              reason: "'\(pathText)' is not a dotted key path such as rl.gamma")
        }
        self.path = path
        self.text = text
        self.value = try ConfigNode.parseValue(String(text[text.index(after: equals)...]), source: "--set \(text)")
    }

    /// Writes the value at the path, creating sections on the way.
    public func apply(to node: inout ConfigNode) throws(ConfigError) {
        do { try node.set(path, to: value) }
        catch {
            throw ConfigError.invalidOverride(override: text,
                                              reason: "a key before the last one in '\(path.joined(separator: "."))' is a value, not a section")
        }
    }
}
