/// Text rewritten scalar by scalar, the one loop behind YAML's double-quoted scalars (`YAMLText`)
/// and the report's HTML escaping.
///
/// ```swift
/// TextEscaping.escape("a<b") { $0 == "<" ? "&lt;" : nil }   // "a&lt;b"
/// ```
public enum TextEscaping {
    /// `text` with every scalar for which `replacement` returns a string replaced by it; the others
    /// are kept as they are.
    public static func escape(_ text: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let replaced = replacement(scalar) { out += replaced } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
