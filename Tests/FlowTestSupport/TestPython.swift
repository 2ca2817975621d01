import Foundation
import Testing

/// The Python interpreter the tests run, and whether it has the packages a test needs.
///
/// ```swift
/// @Test(.requiresPython("numpy", "safetensors")) func pythonReadsTheFile() throws {
///     let result = try TestPython.run("import safetensors.numpy, sys; safetensors.numpy.load_file(sys.argv[1])", [path])
///     #expect(result.status == 0, "\(result.stderr)")
/// }
/// ```
///
/// The interpreter is `FLOWTUNE_PYTHON` when set, else `python3` on PATH: the rule of the bridge's
/// `PythonRuntime`. `./scripts/test` sets it to the project's `.venv`, which has every package; a
/// plain `swift test` skips, with a reason naming that command, each test whose packages are missing.
public enum TestPython {
    /// The interpreter, a path or a name looked up on PATH.
    public static var executable: String { ProcessInfo.processInfo.environment["FLOWTUNE_PYTHON"] ?? "python3" }

    /// The command that installs every package the tests use and runs them all.
    public static let setupCommand = "./scripts/test"

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `<python> -c script arguments…` and waits for it; `environment` replaces this process's,
    /// `python` replaces the test interpreter.
    public static func run(_ script: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                           python: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python ?? executable, "-c", script] + arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting, so a large output cannot fill a pipe and block the child.
        let errData = ReadInBackground(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.wait(), as: UTF8.self))
    }

    /// Whether the interpreter can import every module in `modules` (asked once per module, then cached).
    public static func canImport(_ modules: [String]) -> Bool {
        modules.allSatisfy { module in
            importCache.value(for: module) { (try? run("import \(module)").status) == 0 }
        }
    }

    /// The skip reason of a test that needs `modules`.
    public static func missingPackagesReason(_ modules: [String]) -> String {
        "needs Python with \(modules.joined(separator: ", ")), which \(executable) cannot import; "
            + "run `\(setupCommand)`, which installs them into .venv and runs every test"
    }

    private static let importCache = Cache()

    private final class Cache: @unchecked Sendable {
        private let lock = NSLock()
        private var known: [String: Bool] = [:]
        func value(for key: String, compute: () -> Bool) -> Bool {
            lock.lock()
            if let v = known[key] { lock.unlock(); return v }
            lock.unlock()
            let v = compute()
            lock.lock()
            known[key] = v
            lock.unlock()
            return v
        }
    }

    /// Reads a pipe to its end on another thread.
    private final class ReadInBackground: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
        }
        func wait() -> Data {
            done.wait()
            return data
        }
    }
}

/// Which tests a run includes: `FLOWTUNE_FAST=1` is the fast tier for the edit-test loop.
public enum TestTier {
    /// True when `FLOWTUNE_FAST=1`: tests marked `.slow` (more than about a second each) are skipped.
    public static var isFast: Bool { ProcessInfo.processInfo.environment["FLOWTUNE_FAST"] == "1" }
}

extension Trait where Self == ConditionTrait {
    /// Skips the test, naming `./scripts/test`, unless the test Python can import every module.
    public static func requiresPython(_ modules: String..., sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled(if: TestPython.canImport(modules), Comment(rawValue: TestPython.missingPackagesReason(modules)),
                 sourceLocation: sourceLocation)
    }

    /// Marks a test (or suite) that takes more than about a second: `FLOWTUNE_FAST=1` skips it.
    public static var slow: Self {
        .disabled(if: TestTier.isFast, "slow (over a second); FLOWTUNE_FAST=1 skips it, plain `./scripts/test` runs it")
    }
}
