/// Writing config nodes as YAML text: block mappings, flow lists, scalars quoted only when a
/// YAML 1.1 or 1.2 reader would otherwise read them as something else, and field meanings as
/// trailing comments.
///
/// ```swift
/// YAMLText.scalar(.scalar("yes", style: .quoted))    // "\"yes\""
/// YAMLText.inline(.list([.scalar("256"), .scalar("256")]))   // "[256, 256]"
/// ```
public enum YAMLText {
    /// Words YAML readers turn into booleans or null when unquoted.
    static let reservedWords: Set<String> = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"]

    /// True when `text` can be written unquoted and still read back as this string by any reader:
    /// it starts with a letter, uses only letters, digits and `_ . / + -`, and is not a reserved word.
    public static func isSafePlainString(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCIILetter else { return false }
        guard !reservedWords.contains(text.lowercased()) else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || "_./+-".unicodeScalars.contains($0) }
    }

    /// A scalar as it appears after `key: `.
    public static func scalar(_ node: ConfigNode) -> String {
        guard case let .scalar(text, style) = node else { return inline(node) }
        return style == .plain ? text : quoted(text)
    }

    /// `text` in double quotes with JSON-compatible escapes (valid YAML double-quoted style).
    public static func quoted(_ text: String) -> String {
        "\"" + TextEscaping.escape(text) { scalar in
            if let escape = escapes[scalar] { return escape }
            guard scalar.value < 0x20 || scalar.value == 0x7F else { return nil }
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } + "\""
    }

    /// The characters with a short escape of their own; other control characters become `\uXXXX`.
    static let escapes: [Unicode.Scalar: String] = ["\"": "\\\"", "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"]

    /// A node on one line: scalars as `scalar(_:)`, lists as `[a, b]`, mappings as `{k: v}`.
    public static func inline(_ node: ConfigNode) -> String {
        switch node {
        case .scalar: return scalar(node)
        case let .list(items): return "[" + items.map(inline).joined(separator: ", ") + "]"
        case let .map(entries):
            return "{" + entries.map { "\(key($0.key)): \(inline($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    /// A mapping key, quoted when it has to be.
    static func key(_ text: String) -> String { isSafePlainString(text) ? text : quoted(text) }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}
