import Foundation
import SafeTensors

/// The records of a `metrics.jsonl`, read back for reports, resume and tests.
///
/// ```swift
/// let log = try MetricsLog.read("runs/push-fpo/metrics.jsonl")
/// log.records.count                    // iterations logged
/// log.series("eval_success")           // [(iteration, envSteps, wallTime, value)] where present
/// log.metricNames                      // ["clip_fraction", "eval_success", …]
/// ```
///
/// A last line cut off by a crash or a full disk is ignored (`truncatedTail` is true). A line in
/// the middle that is not a JSON object with an integer `iteration` is skipped and its 1-based
/// number kept in `skippedLines`, so one bad line never hides a whole run.
public struct MetricsLog: Sendable {
    public var records: [MetricsRecord]
    public var skippedLines: [Int]
    public var truncatedTail: Bool

    public init(records: [MetricsRecord] = [], skippedLines: [Int] = [], truncatedTail: Bool = false) {
        self.records = records
        self.skippedLines = skippedLines
        self.truncatedTail = truncatedTail
    }

    public static func read(_ path: String) throws(RunDirectoryError) -> MetricsLog {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw exists ? RunDirectoryError.ioFailure(path: path, reason: "the file is not readable")
                : RunDirectoryError.fileNotFound(path: path)
        }
        return parse(data)
    }

    public static func parse(_ data: Data) -> MetricsLog {
        var log = MetricsLog()
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let endsWithNewline = data.last == UInt8(ascii: "\n")
        for (index, line) in lines.enumerated() {
            let isLast = index == lines.count - 1
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            if let record = record(from: Data(line)) {
                log.records.append(record)
            } else if isLast && !endsWithNewline {
                log.truncatedTail = true
            } else {
                log.skippedLines.append(index + 1)
            }
        }
        return log
    }

    /// Parses one line; nil unless it is an object with integer `iteration`.
    static func record(from line: Data) -> MetricsRecord? {
        guard let object = try? StrictJSON.parse(Array(line)), case .object(let members) = object,
              let iteration = integer(object["iteration"]) else { return nil }
        var record = MetricsRecord(iteration: iteration, envSteps: integer(object["env_steps"]) ?? 0,
                                   wallTime: double(object["wall_time"]) ?? .nan)
        for (key, value) in members where !MetricsLogger.reservedKeys.contains(key) {
            if let number = double(value) { record.values[key] = number }
        }
        return record
    }

    /// Numbers, the strings `nan`/`inf`/`-inf` (and `Infinity` spellings), and null as NaN.
    static func double(_ value: JSONValue?) -> Double? {
        switch value {
        case let .number(text, _)?: return Double(text)
        case let .string(text)?:
            switch text.lowercased() {
            case "nan": return .nan
            case "inf", "infinity", "+inf": return .infinity
            case "-inf", "-infinity": return -.infinity
            default: return nil
            }
        case .null?: return .nan
        default: return nil
        }
    }

    /// An integral number (`12`, or `12.0`, or `1.2e1`).
    static func integer(_ value: JSONValue?) -> Int? {
        guard case let .number(text, exact)? = value else { return nil }
        if let exact { return exact }
        guard let double = Double(text), double.rounded() == double, abs(double) < 9.0e18 else { return nil }
        return Int(double)
    }

    /// Every metric name that appears in some record, sorted.
    public var metricNames: [String] {
        Array(Set(records.flatMap(\.values.keys))).sorted()
    }

    /// The records that carry `name`, as points.
    public func series(_ name: String) -> [MetricPoint] {
        records.compactMap { record in
            record.values[name].map {
                MetricPoint(iteration: record.iteration, envSteps: record.envSteps, wallTime: record.wallTime, value: $0)
            }
        }
    }

    /// Rewrites `path` (atomically) keeping only the records up to `iteration`: what a resumed run
    /// does before it continues from the checkpoint of that iteration, so no iteration is logged twice.
    public static func truncate(_ path: String, afterIteration iteration: Int) throws(RunDirectoryError) {
        let log = try read(path)
        let kept = log.records.filter { $0.iteration <= iteration }
        let text = kept.map { MetricsLogger.jsonLine($0) + "\n" }.joined()
        try AtomicFile.writeRunFile(text, to: path)
    }
}

/// One value of one metric at one iteration.
public struct MetricPoint: Sendable, Equatable {
    public var iteration: Int
    public var envSteps: Int
    public var wallTime: Double
    public var value: Double
}
