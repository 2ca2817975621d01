import FlowConfig
import Foundation
import SafeTensors

/// One line of `metrics.jsonl`: where training is, plus any named scalar metrics.
///
/// ```swift
/// let r = MetricsRecord(iteration: 12, envSteps: 38_400, wallTime: 95.2,
///                       values: ["eval_success": 0.62, "eval_episodes": 50, "policy_loss": -0.013])
/// MetricsLogger.jsonLine(r)
/// // {"iteration":12,"env_steps":38400,"wall_time":95.2,"eval_episodes":50.0,"eval_success":0.62,"policy_loss":-0.013}
/// ```
public struct MetricsRecord: Sendable, Equatable {
    public var iteration: Int
    /// Environment steps taken so far (all environments together).
    public var envSteps: Int
    /// Seconds since the run started.
    public var wallTime: Double
    /// Named metrics; NaN and ±infinity are allowed and survive a round trip.
    public var values: [String: Double]

    public init(iteration: Int, envSteps: Int, wallTime: Double, values: [String: Double] = [:]) {
        self.iteration = iteration
        self.envSteps = envSteps
        self.wallTime = wallTime
        self.values = values
    }

    /// Equality that counts NaN as equal to NaN (a logged NaN reads back as NaN).
    public static func == (a: MetricsRecord, b: MetricsRecord) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        guard a.iteration == b.iteration, a.envSteps == b.envSteps, same(a.wallTime, b.wallTime),
              a.values.count == b.values.count else { return false }
        return a.values.allSatisfy { key, value in b.values[key].map { same(value, $0) } ?? false }
    }
}

/// Appends one JSON object per training iteration to `metrics.jsonl`, each line on the disk when
/// `log` returns.
///
/// ```swift
/// let metrics = try MetricsLogger(path: run.metricsPath)
/// try metrics.log(iteration: 1, envSteps: 2_560, wallTime: 8.1, metrics: ["policy_loss": 0.02])
/// let back = try MetricsLog.read(run.metricsPath).records     // [MetricsRecord(iteration: 1, …)]
/// ```
///
/// Keys: `iteration`, `env_steps`, `wall_time`, then the metrics in name order. Non-finite values
/// are written as the strings `"nan"`, `"inf"`, `"-inf"` (Python's `float()` reads them), so every
/// line is valid JSON. A metric named like one of the three fixed keys is dropped.
/// On resume (`truncate: false`) a last line cut off by a crash is ended with a newline first,
/// so the next record starts on a line of its own.
public final class MetricsLogger: @unchecked Sendable {
    public let path: String
    private let file: AppendOnlyFile
    /// `fsync` after every line: survives power loss, costs a disk flush per iteration.
    public var syncEveryLine: Bool

    public static let reservedKeys: Set<String> = ["iteration", "env_steps", "wall_time"]

    /// Opens `path`; `truncate` starts an empty file, otherwise lines are appended.
    public init(path: String, truncate: Bool = true, syncEveryLine: Bool = false,
                syscalls: FileSyscalls = .system) throws(RunDirectoryError) {
        self.path = path
        self.syncEveryLine = syncEveryLine
        file = try AppendOnlyFile(path: path, truncate: truncate, syscalls: syscalls)
        if !truncate, file.byteCount > 0, let handle = FileHandle(forReadingAtPath: path) {
            defer { try? handle.close() }
            try? handle.seek(toOffset: UInt64(file.byteCount - 1))
            if let last = try? handle.read(upToCount: 1), last != Data("\n".utf8) {
                try file.append(Data("\n".utf8))
            }
        }
    }

    public func log(iteration: Int, envSteps: Int, wallTime: Double, metrics: [String: Double]) throws(RunDirectoryError) {
        try log(MetricsRecord(iteration: iteration, envSteps: envSteps, wallTime: wallTime, values: metrics))
    }

    public func log(_ record: MetricsRecord) throws(RunDirectoryError) {
        try file.append(Data((Self.jsonLine(record) + "\n").utf8))
        if syncEveryLine { try file.sync() }
    }

    public func close() { file.close() }

    /// The JSON object for `record`, on one line, without the newline.
    public static func jsonLine(_ record: MetricsRecord) -> String {
        var out = "{\"iteration\":\(record.iteration),\"env_steps\":\(record.envSteps),\"wall_time\":\(number(record.wallTime))"
        for key in record.values.keys.sorted() where !reservedKeys.contains(key) {
            out += "," + JSONText.string(key) + ":" + number(record.values[key]!)
        }
        return out + "}"
    }

    /// A JSON number, or a string for the values JSON has no number for.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "\"nan\"" }
        if value.isInfinite { return value > 0 ? "\"inf\"" : "\"-inf\"" }
        return "\(value)"
    }
}

/// JSON string literals: YAML's double-quoted style uses JSON-compatible escapes, so one escaper serves both.
enum JSONText {
    static func string(_ text: String) -> String { YAMLText.quoted(text) }
}
