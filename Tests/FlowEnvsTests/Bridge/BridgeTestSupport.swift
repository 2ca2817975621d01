import FlowEnvs
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// All bridge tests run one after another: each starts Python processes, and the machine has two
/// cores shared with other work. CI installs the packages they need (.ci/requirements.txt).
@Suite(.serialized) enum BridgeTests {}

/// Runs `python3 -c script args…` with the checkout's python/ on PYTHONPATH and waits for it.
func runBridgePython(_ script: String, _ arguments: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [PythonRuntime().executable, "-c", script] + arguments
    var env = ProcessInfo.processInfo.environment
    if let path = PythonRuntime().packagePath { env["PYTHONPATH"] = path }
    process.environment = env
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Whether `pid` is a live process (a zombie waiting to be reaped by an init that never reaps counts
/// as gone: it runs no code and holds no resources but its table entry).
func processIsRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return kill(pid, 0) == 0 }
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// Polls until `pid` is gone or `seconds` pass; returns whether it is gone.
func waitUntilGone(_ pid: Int32, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if !processIsRunning(pid) { return true }
        usleep(50_000)
    }
    return !processIsRunning(pid)
}

/// A quiet bridge configuration (restarts are collected by the env, not printed).
func quietBridge(workers: Int, stepTimeout: Double = 60, maxRestarts: Int = 3) -> PythonBridgeEnv.Configuration {
    PythonBridgeEnv.Configuration(workers: workers, stepTimeout: stepTimeout, maxConsecutiveRestarts: maxRestarts,
                                  onWorkerRestart: { _ in })
}
