import FlowEnvs
import FlowTuneCLI
import Foundation

/// A peer stack of `bench compare` (bench/peers/peer.py) running as a child process that answers
/// one JSON line per request: `prepare` builds and warms up a workload, `run` times `calls` calls
/// of it. A long-lived child lets FlowTune and the peers alternate measurement by measurement
/// without paying Python start-up or JIT compilation inside a timed repetition.
final class PeerProcess {
    enum Stack: String, CaseIterable {
        case torchEager = "torch-eager", torchCompile = "torch-compile", jax

        var title: String {
            switch self {
            case .torchEager: return "torch eager"
            case .torchCompile: return "torch.compile"
            case .jax: return "JAX jit"
            }
        }

        /// Thread settings that must be in the environment before the library loads: PyTorch's
        /// OpenMP must not spin (busy-waiting collapses on a shared machine), XLA's CPU thread
        /// pool is limited to one thread by turning off its multi-threaded Eigen kernels.
        func environment(threads: Int) -> [String: String] {
            var env = ["OMP_NUM_THREADS": "\(threads)", "MKL_NUM_THREADS": "\(threads)", "OMP_WAIT_POLICY": "PASSIVE",
                       "OPENBLAS_NUM_THREADS": "\(threads)", "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2"]
            if self == .jax {
                env["XLA_FLAGS"] = threads == 1
                    ? "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
                    : "--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=\(threads)"
            }
            return env
        }
    }

    struct PeerError: Error, CustomStringConvertible {
        let description: String
    }

    let stack: Stack
    let threads: Int
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffer = Data()
    let stderrPath: String

    /// Starts `<python> peer.py --stack … --threads … --serve` with the bridge's interpreter
    /// (`PythonRuntime`: FLOWTUNE_PYTHON, else python3); throws when the stack cannot start (e.g.
    /// torch or jax not installed).
    init(stack: Stack, threads: Int, script: String, logDirectory: String) throws {
        self.stack = stack
        self.threads = threads
        stderrPath = "\(logDirectory)/\(stack.rawValue)-\(threads)t.log"
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [PythonRuntime().executable, script, "--stack", stack.rawValue, "--threads", "\(threads)", "--serve"]
        process.environment = ProcessInfo.processInfo.environment.merging(stack.environment(threads: threads)) { $1 }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
        let hello = try readReply()
        guard hello["ok"] as? Bool == true else { throw PeerError(description: "\(stack.title) did not start: \(hello)") }
    }

    deinit { stop() }

    func stop() {
        if process.isRunning {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    /// Builds the workload in the peer and runs it twice (warm-up and compilation).
    func prepare(id: String, workload: CompareWorkload, checkpoint: String) throws {
        var body: [String: Any] = ["op": "prepare", "id": id, "workload": workload.kind.rawValue, "checkpoint": checkpoint,
                                   "batch": workload.batch, "steps": workload.steps]
        if workload.kind == .rlIteration {
            let steps = try CompareWorkload.iterationSteps()
            body["env_steps"] = steps.perEnvironment
            body["time_limit"] = steps.timeLimit
        }
        _ = try request(body)
    }

    /// Wall-clock seconds of `calls` calls of a prepared workload, timed inside the peer, and the
    /// environment steps of the last call (W4; 0 for the other workloads).
    func run(id: String, calls: Int) throws -> (seconds: Double, units: Int) {
        let reply = try request(["op": "run", "id": id, "calls": calls])
        guard let s = reply["seconds"] as? Double else { throw PeerError(description: "\(stack.title): no time in \(reply)") }
        return (s, reply["units"] as? Int ?? 0)
    }

    func drop(id: String) { _ = try? request(["op": "drop", "id": id]) }

    private func request(_ body: [String: Any]) throws -> [String: Any] {
        var line = try JSONSerialization.data(withJSONObject: body)
        line.append(0x0A)
        do { try input.fileHandleForWriting.write(contentsOf: line) } catch {
            throw PeerError(description: "\(stack.title) exited (see \(stderrPath))")
        }
        let reply = try readReply()
        guard reply["ok"] as? Bool == true else {
            throw PeerError(description: "\(stack.title): \(reply["error"] as? String ?? "failed")")
        }
        return reply
    }

    private func readReply() throws -> [String: Any] {
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<nl]
                buffer = Data(buffer[(nl + 1)...])
                guard let obj = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { continue }
                return obj
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty {
                let tail = (try? String(contentsOfFile: stderrPath, encoding: .utf8))?.split(separator: "\n").suffix(3).joined(separator: " | ") ?? ""
                throw PeerError(description: "\(stack.title) exited: \(tail)")
            }
            buffer.append(chunk)
        }
    }
}
