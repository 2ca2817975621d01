import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Training progress for people: one live line on a terminal, plain periodic lines elsewhere.
///
/// ```swift
/// let progress = ProgressReporter(total: config.rl.iterations, label: "train")
/// for i in 1...config.rl.iterations {
///     …
///     progress.update(iteration: i, envSteps: steps, successRate: rollouts.successRate)
/// }
/// progress.finish()
/// // terminal:  \r\e[2K train 37/200 [#####.............] 2,740 steps/s  success 62.0%  ETA 3m12s
/// // CI / file: train 37/200  envsteps 94,720  2,740 steps/s  success 62.0%  ETA 3m12s   (every 10 s)
/// ```
///
/// On a terminal every update redraws the line (`\r`, clear line), at most 10 times a second,
/// cut to the terminal width so it never wraps. Otherwise a line is printed for the first update,
/// the last one, and whenever `plainInterval` seconds or `plainEveryIterations` iterations have
/// passed since the previous line. Rates and the ETA use the time since the first update, so a
/// resumed run does not count the iterations it did not do.
public final class ProgressReporter: @unchecked Sendable {
    public let total: Int
    public let label: String
    public let isTerminal: Bool
    public var plainInterval: Double
    public var plainEveryIterations: Int?
    /// Terminal width; lines are cut to one less than this.
    public var columns: Int

    private let output: @Sendable (String) -> Void
    private let clock: @Sendable () -> Double
    private let lock = NSLock()
    private var start: (time: Double, iteration: Int, envSteps: Int)?
    private var lastDraw: Double = -.infinity
    private var lastPlain: (time: Double, iteration: Int)?
    private var lineOpen = false

    /// - Parameters:
    ///   - isTerminal: whether stdout is a terminal; defaults to `isatty(1)`.
    ///   - output: where text goes, exactly as given (no newline added); defaults to stdout, flushed.
    ///   - clock: seconds from any fixed origin; defaults to the monotonic clock.
    public init(total: Int, label: String = "iter", isTerminal: Bool = isatty(STDOUT_FILENO) != 0,
                plainInterval: Double = 10, plainEveryIterations: Int? = nil, columns: Int? = nil,
                output: @escaping @Sendable (String) -> Void = ProgressReporter.standardOutput,
                clock: @escaping @Sendable () -> Double = ProgressReporter.monotonicSeconds) {
        self.total = total
        self.label = label
        self.isTerminal = isTerminal
        self.plainInterval = plainInterval
        self.plainEveryIterations = plainEveryIterations
        self.columns = columns ?? Self.terminalColumns() ?? 100
        self.output = output
        self.clock = clock
    }

    /// Marks the moment training starts (or resumes) at `iteration` with `envSteps` taken, so the
    /// first update already has a rate and an ETA. Without it the first update is the baseline.
    public func begin(iteration: Int = 0, envSteps: Int = 0) {
        lock.lock()
        defer { lock.unlock() }
        start = (clock(), iteration, envSteps)
    }

    /// Reports that `iteration` (1-based, out of `total`) finished with `envSteps` steps taken so far.
    /// `successRate` in [0, 1]; `extra` is shown after it as `key value` pairs.
    public func update(iteration: Int, envSteps: Int, successRate: Double? = nil, extra: [(String, String)] = []) {
        lock.lock()
        defer { lock.unlock() }
        let now = clock()
        guard let start else {
            self.start = (now, iteration, envSteps)
            emit(iteration: iteration, envSteps: envSteps, successRate: successRate, extra: extra, now: now, rate: nil, eta: nil)
            return
        }
        let elapsed = now - start.time
        let doneHere = iteration - start.iteration
        let rate = elapsed > 0 ? Double(envSteps - start.envSteps) / elapsed : nil
        let eta = doneHere > 0 && elapsed > 0 ? elapsed / Double(doneHere) * Double(max(0, total - iteration)) : nil
        emit(iteration: iteration, envSteps: envSteps, successRate: successRate, extra: extra, now: now, rate: rate, eta: eta)
    }

    private func emit(iteration: Int, envSteps: Int, successRate: Double?, extra: [(String, String)], now: Double,
                      rate: Double?, eta: Double?) {
        let last = iteration >= total
        if isTerminal {
            guard last || now - lastDraw >= 0.1 else { return }
            lastDraw = now
            var line = terminalLine(iteration: iteration, successRate: successRate, extra: extra, rate: rate, eta: eta)
            if line.count > columns - 1 { line = String(line.prefix(max(0, columns - 1))) }
            output("\r\u{1B}[2K" + line)
            lineOpen = true
        } else {
            var due = lastPlain == nil || last
            if let lastPlain {
                if now - lastPlain.time >= plainInterval { due = true }
                if let every = plainEveryIterations, iteration - lastPlain.iteration >= every { due = true }
            }
            guard due else { return }
            lastPlain = (now, iteration)
            output(plainLine(iteration: iteration, envSteps: envSteps, successRate: successRate, extra: extra,
                             rate: rate, eta: eta) + "\n")
        }
    }

    /// Ends the live line (a newline on a terminal) so later output starts on a fresh line.
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if isTerminal && lineOpen {
            output("\n")
            lineOpen = false
        }
    }

    /// Prints `message` on its own line without garbling the live line (it is redrawn at the next update).
    public func print(_ message: String) {
        lock.lock()
        defer { lock.unlock() }
        if isTerminal && lineOpen {
            output("\r\u{1B}[2K" + message + "\n")
            lineOpen = false
            lastDraw = -.infinity
        } else {
            output(message + "\n")
        }
    }

    func terminalLine(iteration: Int, successRate: Double?, extra: [(String, String)], rate: Double?, eta: Double?) -> String {
        let width = 20
        let filled = total > 0 ? min(width, max(0, iteration * width / total)) : 0
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
        var parts = ["\(label) \(iteration)/\(total) \(bar)"]
        parts.append(rate.map { "\(Self.grouped(Int($0.rounded()))) steps/s" } ?? "- steps/s")
        if let successRate { parts.append("success " + Self.percent(successRate)) }
        parts += extra.map { "\($0.0) \($0.1)" }
        parts.append("ETA " + (eta.map(Self.duration) ?? "-"))
        return parts.joined(separator: "  ")
    }

    func plainLine(iteration: Int, envSteps: Int, successRate: Double?, extra: [(String, String)], rate: Double?, eta: Double?) -> String {
        var parts = ["\(label) \(iteration)/\(total)", "envsteps \(Self.grouped(envSteps))"]
        parts.append(rate.map { "\(Self.grouped(Int($0.rounded()))) steps/s" } ?? "- steps/s")
        if let successRate { parts.append("success " + Self.percent(successRate)) }
        parts += extra.map { "\($0.0) \($0.1)" }
        parts.append("ETA " + (eta.map(Self.duration) ?? "-"))
        return parts.joined(separator: "  ")
    }

    /// `12,345`.
    static func grouped(_ value: Int) -> String {
        let digits = String(abs(value))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// `62.0%`, or `-` for NaN.
    static func percent(_ rate: Double) -> String {
        rate.isFinite ? String(format: "%.1f%%", rate * 100) : "-"
    }

    /// `45s`, `3m12s`, `1h04m`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" + String(format: "%02ds", s % 60) }
        return "\(s / 3600)h" + String(format: "%02dm", (s % 3600) / 60)
    }

    public static let standardOutput: @Sendable (String) -> Void = { text in
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    public static let monotonicSeconds: @Sendable () -> Double = {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }

    static func terminalColumns() -> Int? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}

/// For a multi-task suite, the task with the lowest training success over the last few iterations,
/// as a progress item: `("weakest", "push-left 12% (3/25)")`. The suite's mean can rise while one
/// task collapses; this shows it live. One iteration finishes only a few episodes per task
/// (LIBERO-Object's 20 environments about 25 over ten tasks), so in a single iteration some task
/// nearly always stands at 0%; pooling each task's successes and finished episodes
/// (`train_success_<task>` × `train_episodes_<task>`) over a window names a task that is weak, not
/// one that was unlucky.
public struct WeakestTaskWindow {
    public let iterations: Int
    /// Per iteration, each task's (successes, finished episodes).
    private var recent: [[String: (successes: Double, episodes: Double)]] = []

    public init(iterations: Int = 10) {
        precondition(iterations >= 1)
        self.iterations = iterations
    }

    /// Adds one iteration's metrics (`train_success_<task>` and `train_episodes_<task>`).
    public mutating func add(_ metrics: [String: Double]) {
        let prefix = "train_success_"
        var counts: [String: (successes: Double, episodes: Double)] = [:]
        for (key, rate) in metrics where key.hasPrefix(prefix) && rate.isFinite {
            let task = String(key.dropFirst(prefix.count))
            guard let episodes = metrics["train_episodes_" + task], episodes > 0 else { continue }
            counts[task] = ((rate * episodes).rounded(), episodes)
        }
        recent.append(counts)
        if recent.count > iterations { recent.removeFirst() }
    }

    /// The task with the lowest pooled success (ties: the name first in order); nil for fewer than
    /// two tasks with finished episodes.
    public var item: (String, String)? {
        var pooled: [String: (successes: Double, episodes: Double)] = [:]
        for counts in recent {
            for (task, c) in counts {
                pooled[task, default: (0, 0)].successes += c.successes
                pooled[task, default: (0, 0)].episodes += c.episodes
            }
        }
        guard pooled.count > 1,
              let weakest = pooled.min(by: { ($0.value.successes / $0.value.episodes, $0.key) < ($1.value.successes / $1.value.episodes, $1.key) })
        else { return nil }
        let c = weakest.value
        return ("weakest", "\(weakest.key) \(String(format: "%.0f%%", 100 * c.successes / c.episodes)) (\(Int(c.successes))/\(Int(c.episodes)))")
    }
}
