import FlowEnvs
import FlowTensor
import FlowTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// All bridge tests run one after another: each starts Python processes, and the machine has two
/// cores shared with other work. Tests whose Python packages are missing are skipped; `./scripts/test`
/// installs them into .venv.
@Suite(.serialized) enum BridgeTests {}

/// Runs `<test python> -c script args…` with the checkout's python/ on PYTHONPATH and waits for it.
func runBridgePython(_ script: String, _ arguments: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
    var env = ProcessInfo.processInfo.environment
    if let path = PythonRuntime().packagePath { env["PYTHONPATH"] = path }
    let r = try TestPython.run(script, arguments, environment: env)
    return (r.status, r.stdout, r.stderr)
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

/// One noiseless scripted-expert episode in each environment of a new bridge vector of `id` started
/// with `seeds`: every step's reward until each environment's first episode ends, and its success.
func expertEpisodeRewards(id: String, seeds: [UInt64], dense: Bool) throws -> (rewards: [[Float]], success: [Bool]) {
    let n = seeds.count
    let env = try PythonBridgeEnv(id: id, numEnvs: n, options: .init(denseReward: dense), configuration: quietBridge(workers: 1))
    defer { env.close() }
    try env.reset(seeds: seeds)
    let expert = try BridgeExpert(env: env, noiseStd: 0, seed: 0)
    var actions = [Float](repeating: 0, count: n * env.spec.actionDim)
    var rewards = [[Float]](repeating: [], count: n), finished = [Bool](repeating: false, count: n), success = finished
    while !finished.allSatisfy({ $0 }) {
        actions.withUnsafeMutableBufferPointer { expert.act(env.buffers, into: $0) }
        try env.step(actions: actions)
        for i in 0..<n where !finished[i] {
            rewards[i].append(env.buffers.rewards[i])
            if env.buffers.isDone(i) { finished[i] = true; success[i] = env.buffers.success[i] }
        }
    }
    return (rewards, success)
}

/// A simulator suite's own interpreter (ManiSkill's, LIBERO's), when its install script has made it
/// and its catalog lists `marker`; tests of that suite are skipped, with `skipReason`, otherwise.
struct SuiteInterpreter: Sendable {
    let executable: String?
    let skipReason: String

    init(_ candidate: String?, listing marker: String, installScript: String, venv: String, variable: String) {
        executable = candidate.flatMap { python in
            (try? PythonRuntime(executable: python).run(["catalog"]))?.contains("\"\(marker)\"") == true ? python : nil
        }
        skipReason = "needs the suite's own interpreter (\(venv) or \(variable)); run `\(installScript)` "
            + "(docs/simulators.md), then the tests"
    }

    /// Runs `<its python> -c script args…` with the checkout's python/ on PYTHONPATH.
    func run(_ script: String, _ arguments: [String]) throws -> TestPython.Result {
        var env = ProcessInfo.processInfo.environment
        if let path = PythonRuntime().packagePath { env["PYTHONPATH"] = path }
        return try TestPython.run(script, arguments, environment: env, python: executable!)
    }
}

let maniSkillPython = SuiteInterpreter(PythonRuntime.maniSkillExecutable, listing: "maniskill/PickCube-v1",
                                       installScript: "scripts/install-maniskill", venv: ".venv-maniskill",
                                       variable: "FLOWTUNE_MANISKILL_PYTHON")
let liberoPython = SuiteInterpreter(PythonRuntime.liberoExecutable, listing: "libero/object",
                                    installScript: "scripts/install-libero", venv: ".venv-libero",
                                    variable: "FLOWTUNE_LIBERO_PYTHON")

/// Steps `env` (one environment, already reset) `steps` times with uniform random actions, then has
/// `python` replay those actions through `directScript` (which gets `arguments`, then the actions
/// file and the output file, and writes Float32 observations after the reset and every step), and
/// returns both observation streams as bit patterns: the bridge's and the simulator's own.
func bridgeAndDirectObservations(_ env: PythonBridgeEnv, steps: Int, python: SuiteInterpreter, directScript: String,
                                 arguments: [String]) throws -> (bridge: [UInt32], direct: [UInt32]) {
    let ad = env.spec.actionDim
    var rng = RandomGenerator(seed: 5)
    var actions: [Float] = [], observed = env.buffers.observation(ofEnv: 0).map(\.bitPattern)
    for _ in 0..<steps {
        let a = (0..<ad).map { _ in rng.nextUniform(-1, 1) }
        try env.step(actions: a)
        #expect(!env.buffers.isDone(0), "random actions do not finish \(env.spec.id) in \(steps) steps")
        actions += a
        observed += env.buffers.observation(ofEnv: 0).map(\.bitPattern)
    }
    let dir = NSTemporaryDirectory(), tag = "\(getpid())-\(env.spec.id.replacingOccurrences(of: "/", with: "-"))"
    let actionsPath = dir + "flowtune-actions-\(tag).bin", outPath = dir + "flowtune-direct-\(tag).bin"
    defer { try? FileManager.default.removeItem(atPath: actionsPath); try? FileManager.default.removeItem(atPath: outPath) }
    try actions.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: actionsPath)) }
    let r = try python.run(directScript, arguments + [actionsPath, outPath])
    #expect(r.status == 0, "\(r.stderr.suffix(1500))")
    let direct = (try? Data(contentsOf: URL(fileURLWithPath: outPath)))?.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) } ?? []
    return (observed, direct)
}
