#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One simulator worker: a `python -m flowtune_bridge worker` child process connected through a
/// Unix socket pair that is its stdin and stdout.
///
/// ```swift
/// let w = try WorkerProcess(python: PythonRuntime())
/// try w.send(frame)
/// let reply = try w.receive(timeout: 60, waitingFor: "STEP")
/// w.terminate()
/// ```
///
/// Why a socket pair rather than pipes: writes use `MSG_NOSIGNAL`, so a dead worker produces an
/// error instead of a SIGPIPE that would kill the trainer, and no process-wide signal handler needs
/// changing. Both ends are close-on-exec, so one worker never inherits another's socket (which would
/// hide the end of file a worker uses to notice that the trainer is gone). The worker's stderr goes
/// to an unlinked temporary file whose tail explains a crash.
public final class WorkerProcess {
    public let pid: pid_t
    private var socket: Int32
    private let stderrFD: Int32
    private var exitStatus: Int32? = nil

    public init(python: PythonRuntime) throws {
        var fds: [Int32] = [0, 0]
        #if canImport(Glibc)
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let type = SOCK_STREAM
        #endif
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else {
            throw BridgeError.pythonNotFound(executable: python.executable, reason: "socketpair failed: errno \(errno)")
        }
        let logPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("flowtune-worker-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log").path
        let logFD = open(logPath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard logFD >= 0 else {
            close(fds[0]); close(fds[1])
            throw BridgeError.pythonNotFound(executable: python.executable, reason: "cannot create \(logPath): errno \(errno)")
        }
        unlink(logPath)   // the descriptors keep it alive; nothing is left behind in /tmp

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)

        let argv = [python.executable, "-m", "flowtune_bridge", "worker", "--parent-pid", "\(getpid())"]
        let envp = python.environment().map { "\($0.key)=\($0.value)" }
        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnvp = envp.map { strdup($0) } + [nil]
        defer {
            for p in cArgv { free(p) }
            for p in cEnvp { free(p) }
        }
        var child: pid_t = 0
        let rc = posix_spawnp(&child, python.executable, &actions, nil, &cArgv, &cEnvp)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0]); close(logFD)
            throw BridgeError.pythonNotFound(executable: python.executable, reason: String(cString: strerror(rc)))
        }
        pid = child
        socket = fds[0]
        stderrFD = logFD
    }

    deinit {
        terminate()
        close(stderrFD)
    }

    /// The most memory the worker has held at once (its peak resident set, Linux's VmHWM), from
    /// /proc; nil where /proc is not there or the worker has exited. It tells how many environments
    /// of a heavy simulator fit on a machine (`flowtune bench bridge` prints it).
    public var peakResidentBytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kB = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return kB * 1024
    }

    /// Writes one whole frame; throws `workerExited` if the worker is gone.
    public func send(_ frame: [UInt8]) throws {
        var sent = 0
        try frame.withUnsafeBytes { raw in
            while sent < raw.count {
                let n = Glibc.send(socket, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw exited(waitingFor: "a request")
                }
                sent += n
            }
        }
    }

    /// Reads one frame, waiting at most `timeout` seconds in total.
    public func receive(timeout: Double, waitingFor what: String) throws -> BridgeFrameReader {
        let deadline = Date().addingTimeInterval(timeout)
        var header = [UInt8](repeating: 0, count: 4)
        try readExactly(&header, deadline: deadline, timeout: timeout, what: what)
        let length = Int(UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24)
        guard length >= 1, length <= BridgeProtocol.maxFrameLength else {
            throw BridgeError.malformedMessage("frame length \(length) while waiting for \(what)")
        }
        var payload = [UInt8](repeating: 0, count: length)
        try readExactly(&payload, deadline: deadline, timeout: timeout, what: what)
        return BridgeFrameReader(type: payload[0], body: Array(payload[1...]))
    }

    private func readExactly(_ buffer: inout [UInt8], deadline: Date, timeout: Double, what: String) throws {
        var got = 0
        while got < buffer.count {
            let remainingMS = deadline.timeIntervalSinceNow * 1000
            guard remainingMS > 0 else { throw BridgeError.timeout(seconds: timeout, waitingFor: what) }
            var pfd = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min(remainingMS, 1_000_000).rounded(.up)))
            if ready < 0 {
                if errno == EINTR { continue }
                throw BridgeError.malformedMessage("poll failed: errno \(errno)")
            }
            if ready == 0 { continue }
            let n = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress! + got, $0.count - got, 0) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw exited(waitingFor: what)
            }
            if n == 0 { throw exited(waitingFor: what) }
            got += n
        }
    }

    /// `workerExited` with the exit status (waiting briefly for the process to finish dying) and the
    /// tail of its stderr.
    private func exited(waitingFor what: String) -> BridgeError {
        for _ in 0..<50 where reap(block: false) == nil { usleep(20_000) }
        let status: String
        if let s = exitStatus {
            status = (s & 0x7f) == 0 ? "exit status \((s >> 8) & 0xff)" : "killed by signal \(s & 0x7f)"
        } else {
            status = "connection closed"
        }
        return .workerExited(status: status + " while the trainer waited for \(what)", stderrTail: stderrTail())
    }

    /// The last lines the worker wrote to stderr.
    public func stderrTail(maxBytes: Int = 3000) -> String {
        let size = lseek(stderrFD, 0, SEEK_END)
        guard size > 0 else { return "" }
        let start = max(0, Int(size) - maxBytes)
        var buffer = [UInt8](repeating: 0, count: Int(size) - start)
        let n = buffer.withUnsafeMutableBytes { pread(stderrFD, $0.baseAddress!, $0.count, off_t(start)) }
        return String(decoding: buffer.prefix(max(0, n)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The exit status once the process has ended (nil while it runs).
    @discardableResult
    private func reap(block: Bool) -> Int32? {
        if exitStatus != nil { return exitStatus }
        var status: Int32 = 0
        let r = waitpid(pid, &status, block ? 0 : WNOHANG)
        if r == pid { exitStatus = status }
        if r < 0 && errno == ECHILD { exitStatus = -1 }
        return exitStatus
    }

    /// Asks the worker to stop (CLOSE, then end of file), waits up to `grace` seconds, then kills
    /// it. Always reaps the process, so no zombie and no orphan remains. Idempotent.
    public func terminate(grace: Double = 2) {
        if socket >= 0 {
            var frame = BridgeFrameWriter(.close)
            try? send(frame.finish())
            shutdown(socket, Int32(SHUT_WR))
            let deadline = Date().addingTimeInterval(grace)
            while reap(block: false) == nil && Date() < deadline { usleep(10_000) }
            close(socket)
            socket = -1
        }
        if reap(block: false) == nil {
            Glibc.kill(pid, SIGKILL)
            reap(block: true)
        }
    }

    /// Kills the worker at once (a hung or misbehaving worker about to be replaced).
    public func forceKill() {
        if reap(block: false) == nil {
            Glibc.kill(pid, SIGKILL)
            reap(block: true)
        }
        if socket >= 0 { close(socket); socket = -1 }
    }
}
