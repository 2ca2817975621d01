/// Where each knob of an effective config comes from: FlowTune's default, the config file, or a
/// `--set` override (the last one wins, as in loading).
///
/// ```swift
/// let rows = try ConfigProvenance.rows(of: FlowTuneConfig.self, file: "configs/push-fpo.yaml", overrides: ["rl.iterations=50"])
/// rows.first { $0.path == "rl.iterations" }   // ("rl.iterations", "50", .override)
/// ```
public enum ConfigProvenance {
    public enum Source: String, Sendable { case defaults = "default", file, override = "--set" }

    public struct Row: Sendable, Equatable {
        /// The knob's dotted key and its effective value as YAML would write it.
        public var path, value: String
        public var source: Source

        public init(path: String, value: String, source: Source) {
            (self.path, self.value, self.source) = (path, value, source)
        }
    }

    /// One row per knob (`S.leafPaths` order) of the config that `S.load(file:overrides:)` gives;
    /// throws the same errors it does.
    public static func rows<S: ConfigSection>(of _: S.Type, file: String?, overrides: [String]) throws -> [Row] {
        let config = try S.load(file: file, overrides: overrides)
        var fromFile = Set<String>()
        if let file {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            collectLeaves(try ConfigNode.parse(yaml: text, source: file), prefix: "", into: &fromFile)
        }
        var fromOverrides = Set<String>()
        for text in overrides {
            let path = try ConfigOverride(parsing: text).path.joined(separator: ".")
            fromOverrides.insert(path)
        }
        let effective = config.configNode
        return S.leafPaths.map { path in
            let source: Source = fromOverrides.contains(where: { path == $0 || path.hasPrefix($0 + ".") }) ? .override
                : fromFile.contains(path) ? .file : .defaults
            return Row(path: path, value: render(node(effective, at: path)), source: source)
        }
    }

    /// The knobs as aligned lines: `rl.iterations   50   --set`.
    public static func table(_ rows: [Row]) -> [String] {
        let pathWidth = rows.map(\.path.count).max() ?? 0
        let valueWidth = min(40, rows.map(\.value.count).max() ?? 0)
        func padded(_ text: String, _ width: Int) -> String {
            text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
        }
        return rows.map { row -> String in
            let path = padded(row.path, pathWidth + 1), value = padded(row.value, valueWidth + 1)
            return path + " " + value + " " + row.source.rawValue
        }
    }

    static func collectLeaves(_ node: ConfigNode, prefix: String, into paths: inout Set<String>) {
        guard case let .map(entries) = node else {
            if !prefix.isEmpty { paths.insert(prefix) }
            return
        }
        for entry in entries {
            collectLeaves(entry.value, prefix: prefix.isEmpty ? entry.key : prefix + "." + entry.key, into: &paths)
        }
    }

    static func node(_ root: ConfigNode, at path: String) -> ConfigNode? {
        var current: ConfigNode? = root
        for key in path.split(separator: ".") { current = current?[String(key)] }
        return current
    }

    static func render(_ node: ConfigNode?) -> String {
        switch node {
        case let .scalar(text, .quoted)?: return "\"\(text)\""
        case let .scalar(text, .plain)?: return node!.isNull ? "null" : text
        case let .list(items)?: return "[" + items.map { render($0) }.joined(separator: ", ") + "]"
        case .map?: return "{…}"
        case nil: return "null"
        }
    }
}
