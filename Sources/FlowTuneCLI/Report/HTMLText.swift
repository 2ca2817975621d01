import FlowConfig

/// Escaping for text and attribute values in the report's HTML (which is also well-formed XML).
///
/// ```swift
/// HTMLText.escape("a < b & \"c\"")   // "a &lt; b &amp; &quot;c&quot;"
/// ```
public enum HTMLText {
    public static func escape(_ text: String) -> String {
        TextEscaping.escape(text) { scalar in
            if let entity = entities[scalar] { return entity }
            // Control characters other than tab and newlines are not allowed in XML 1.0.
            return scalar.value < 0x20 && !["\t", "\n", "\r"].contains(scalar) ? "\u{FFFD}" : nil
        }
    }

    static let entities: [Unicode.Scalar: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"]
}
