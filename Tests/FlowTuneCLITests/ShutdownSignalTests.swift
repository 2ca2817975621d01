import FlowTuneCLI
import Foundation
import Testing

/// `raise(signal)` from a thread that may block it: test tasks run on worker threads, which block
/// asynchronous signals, and a blocked thread-directed signal would just stay pending.
func raiseUnblocked(_ signal: Int32) {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, signal)
    var previous = sigset_t()
    pthread_sigmask(SIG_UNBLOCK, &set, &previous)
    raise(signal)      // delivered to this thread before raise returns
    pthread_sigmask(SIG_SETMASK, &previous, nil)
}

extension ProcessSignalSuites {
    /// Signal handlers are process-wide, so these tests run one at a time.
    @Suite(.serialized) struct ShutdownSignalTests {
        /// SIGINT (Ctrl-C) and SIGTERM each set the flag instead of killing the process, and the
        /// exit status a stopped run reports is the conventional 128 + signal.
        @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
        func aShutdownSignalSetsTheFlagInsteadOfKillingTheProcess(signal: Int32, exitCode: Int32) {
            let shutdown = ShutdownSignal.shared
            shutdown.install(announce: false)
            defer { shutdown.uninstall() }
            #expect(!shutdown.isRequested)
            raiseUnblocked(signal)
            #expect(shutdown.isRequested)
            #expect(shutdown.requestCount == 1)
            #expect(shutdown.lastSignal == signal)
            #expect(shutdown.exitCode == exitCode)
        }

        @Test func installAndResetClearTheFlag() {
            let shutdown = ShutdownSignal.shared
            shutdown.install(announce: false)
            defer { shutdown.uninstall() }
            shutdown.request()
            #expect(shutdown.isRequested)
            shutdown.reset()
            #expect(!shutdown.isRequested)
            shutdown.request()
            shutdown.install(announce: false)
            #expect(!shutdown.isRequested)
        }

        @Test func aSecondSignalEndsTheProcessAtOnceWithStatus128PlusTheSignal() {
            // In a forked child that only makes async-signal-safe calls (the handler is inherited).
            let shutdown = ShutdownSignal.shared
            shutdown.install(announce: false)
            defer { shutdown.uninstall() }
            let child = fork()
            if child == 0 {
                let devNull = open(UnsafeRawPointer(("/dev/null" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self), O_WRONLY)
                if devNull >= 0 { dup2(devNull, STDERR_FILENO) }
                raiseUnblocked(SIGINT)      // first: only sets the flag
                raiseUnblocked(SIGINT)      // second: _exit(130) inside the handler
                _exit(0)                    // not reached if the second signal ended the process
            }
            #expect(child > 0)
            var status: Int32 = 0
            waitpid(child, &status, 0)
            let exited = status & 0x7F == 0
            #expect(exited && (status >> 8) & 0xFF == 130, "child status \(status)")
            #expect(!shutdown.isRequested, "the parent never got a signal")
        }

        @Test func uninstallRestoresTheHandlerThatWasThereBefore() {
            // SIGUSR2 with SIG_IGN as the previous handler, so restoring it is observable and harmless.
            signal(SIGUSR2, SIG_IGN)
            let shutdown = ShutdownSignal.shared
            shutdown.install(signals: [SIGUSR2], announce: false)
            raiseUnblocked(SIGUSR2)
            #expect(shutdown.isRequested)
            shutdown.uninstall()
            var current = sigaction()
            sigaction(SIGUSR2, nil, &current)
            let handler = unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
            #expect(handler == unsafeBitCast(SIG_IGN, to: Int.self))
            shutdown.reset()
            raiseUnblocked(SIGUSR2)       // ignored again: neither kills the process nor sets the flag
            #expect(!shutdown.isRequested)
            signal(SIGUSR2, SIG_DFL)
        }
    }
}
