import Foundation
import SafeTensors

/// The human-readable diary of a run, `log.txt`: one timestamped line per event, appended and on
/// the disk at once, optionally echoed to the terminal.
///
/// ```swift
/// let log = try run.makeLogger(echo: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
/// log.info("collected 10 demonstrations (success 10/10)")
/// log.warning("NaN reward from env 3; update skipped")
/// // 2026-11-21T20:31:04Z INFO  collected 10 demonstrations (success 10/10)
/// ```
///
/// Logging never throws: a run must not die because its diary could not be written. The first
/// failure is reported once through `echo` (or stderr), later ones are counted in `failedWrites`.
public final class RunLogger: @unchecked Sendable {
    public enum Level: String, Sendable { case info = "INFO ", warning = "WARN ", error = "ERROR" }

    public let path: String
    private let file: AppendOnlyFile
    private let echo: (@Sendable (String) -> Void)?
    private let clock: @Sendable () -> Date
    private let lock = NSLock()
    private var failures = 0

    public init(path: String, truncate: Bool = false, echo: (@Sendable (String) -> Void)? = nil,
                clock: @escaping @Sendable () -> Date = { Date() },
                syscalls: FileSyscalls = .system) throws(RunDirectoryError) {
        self.path = path
        self.echo = echo
        self.clock = clock
        file = try AppendOnlyFile(path: path, truncate: truncate, syscalls: syscalls)
    }

    public func info(_ message: String) { log(.info, message) }
    public func warning(_ message: String) { log(.warning, message) }
    public func error(_ message: String) { log(.error, message) }

    /// Writes `message` (each of its lines, if several) at `level`.
    public func log(_ level: Level, _ message: String) {
        let stamp = Self.timestamp(clock())
        let text = message.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "\(stamp) \(level.rawValue) \($0)\n" }.joined()
        do {
            try file.append(Data(text.utf8))
        } catch {
            lock.lock()
            failures += 1
            let first = failures == 1
            lock.unlock()
            if first {
                let warning = "flowtune: cannot write the run log (\(error)); continuing without it."
                if let echo { echo(warning) } else { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
            }
        }
        echo?(level == .info ? message : "\(level.rawValue.trimmingCharacters(in: .whitespaces).lowercased()): \(message)")
    }

    /// Log lines that could not be written.
    public var failedWrites: Int {
        lock.lock()
        defer { lock.unlock() }
        return failures
    }

    public func close() { file.close() }

    /// ISO 8601 in UTC, to the second.
    static func timestamp(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}
