import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ctrl-C (SIGINT) and SIGTERM as a flag the trainer polls between iterations, so an interrupted
/// run stops at a clean point and writes its checkpoint; a second Ctrl-C quits at once.
///
/// ```swift
/// let shutdown = ShutdownSignal.shared
/// shutdown.install()
/// defer { shutdown.uninstall() }
/// for iteration in start..<total {
///     try trainer.step()
///     if shutdown.isRequested {
///         try saveCheckpoint(iteration)
///         throw ExitCode(shutdown.exitCode)      // 130 for SIGINT, 143 for SIGTERM
///     }
/// }
/// ```
///
/// The handler (installed with `sigaction`, `SA_RESTART`) only touches lock-free atomics and
/// `write(2)`/`_exit(2)`, which are async-signal-safe. The first signal sets the flag and, with
/// `announce`, tells the user on stderr what will happen; the second one, with `exitOnSecond`,
/// ends the process immediately with status 128 + signal.
public final class ShutdownSignal: @unchecked Sendable {
    /// Signal handlers are process-wide, so there is one instance.
    public static let shared = ShutdownSignal()

    private let lock = NSLock()
    private var previous: [Int32: sigaction] = [:]

    private init() {}

    /// Installs the handler for `signals` (again-installing is harmless) and clears the flag.
    public func install(signals: [Int32] = [SIGINT, SIGTERM], announce: Bool = true, exitOnSecond: Bool = true) {
        lock.lock()
        defer { lock.unlock() }
        shutdownAnnounce.store(announce, ordering: .sequentiallyConsistent)
        shutdownExitOnSecond.store(exitOnSecond, ordering: .sequentiallyConsistent)
        shutdownCount.store(0, ordering: .sequentiallyConsistent)
        shutdownLastSignal.store(0, ordering: .sequentiallyConsistent)
        for signal in signals {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = handleShutdownSignal
            #else
            action.__sigaction_u.__sa_handler = handleShutdownSignal
            #endif
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            var old = sigaction()
            if sigaction(signal, &action, &old) == 0, previous[signal] == nil { previous[signal] = old }
        }
    }

    /// Restores the handlers that were there before `install`.
    public func uninstall() {
        lock.lock()
        defer { lock.unlock() }
        for (signal, var old) in previous { _ = sigaction(signal, &old, nil) }
        previous = [:]
    }

    /// True once a shutdown signal arrived (or `request()` was called) since `install`/`reset`.
    public var isRequested: Bool { shutdownCount.load(ordering: .sequentiallyConsistent) > 0 }

    /// How many shutdown signals arrived since `install`/`reset`.
    public var requestCount: Int { Int(shutdownCount.load(ordering: .sequentiallyConsistent)) }

    /// The last signal that arrived, or nil (also nil after `request()`).
    public var lastSignal: Int32? {
        let value = shutdownLastSignal.load(ordering: .sequentiallyConsistent)
        return value == 0 ? nil : value
    }

    /// The conventional exit status of a process stopped by `lastSignal`: 128 + signal (130 for Ctrl-C).
    public var exitCode: Int32 { 128 + (lastSignal ?? SIGINT) }

    /// Asks for a shutdown as a signal would (a time limit, a test), without the second-signal exit.
    public func request() { shutdownCount.wrappingAdd(1, ordering: .sequentiallyConsistent) }

    /// Clears the flag.
    public func reset() {
        shutdownCount.store(0, ordering: .sequentiallyConsistent)
        shutdownLastSignal.store(0, ordering: .sequentiallyConsistent)
    }
}

private let shutdownCount = Atomic<Int32>(0)
private let shutdownLastSignal = Atomic<Int32>(0)
private let shutdownAnnounce = Atomic<Bool>(true)
private let shutdownExitOnSecond = Atomic<Bool>(true)

private func handleShutdownSignal(_ signal: Int32) {
    let count = shutdownCount.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue
    shutdownLastSignal.store(signal, ordering: .sequentiallyConsistent)
    if count >= 2 && shutdownExitOnSecond.load(ordering: .sequentiallyConsistent) {
        writeToStandardError("\nflowtune: interrupted again; exiting now without a checkpoint.\n")
        _exit(128 + signal)
    }
    if count == 1 && shutdownAnnounce.load(ordering: .sequentiallyConsistent) {
        writeToStandardError("\nflowtune: stopping after this iteration and writing a checkpoint; press Ctrl-C again to quit at once.\n")
    }
}

/// `write(2)` of a compile-time constant: no allocation, safe inside a signal handler.
private func writeToStandardError(_ message: StaticString) {
    _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
}
