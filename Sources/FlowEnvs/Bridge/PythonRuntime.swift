import Foundation

/// Which Python runs the simulator workers and where it finds the `flowtune_bridge` package.
///
/// ```swift
/// let python = PythonRuntime()                     // FLOWTUNE_PYTHON or python3 on PATH
/// let catalog = try python.catalog()               // which simulators are installed
/// ```
///
/// The package is found, in order, in `FLOWTUNE_BRIDGE_PYTHONPATH`, in the `python/` directory of
/// the FlowTune checkout this binary was built from (FlowTune is built from source, so the worker
/// code next to the Swift code that speaks its protocol version is the right one), or wherever
/// `pip install ./python` put it.
///
/// ManiSkill (`maniskill/…` ids) and LIBERO (`libero/…`) run in interpreters of their own, since
/// ManiSkill needs numpy < 2 and a CPU torch and LIBERO its own robosuite and MuJoCo
/// (docs/simulators.md): `forEnvironment(_:)` picks `FLOWTUNE_MANISKILL_PYTHON` or
/// `FLOWTUNE_LIBERO_PYTHON`, else the checkout's `.venv-maniskill` or `.venv-libero` that
/// `scripts/install-maniskill` or `scripts/install-libero` makes, unless an interpreter was given
/// explicitly.
public struct PythonRuntime: Sendable, Equatable {
    /// The interpreter, a path or a name looked up on PATH.
    public var executable: String
    /// A directory prepended to PYTHONPATH (the one holding `flowtune_bridge/`), if any.
    public var packagePath: String?
    /// Whether `executable` was passed to `init` rather than taken from FLOWTUNE_PYTHON or PATH.
    public private(set) var executableIsExplicit: Bool

    public init(executable: String? = nil, packagePath: String? = nil) {
        let env = ProcessInfo.processInfo.environment
        self.executable = executable ?? env["FLOWTUNE_PYTHON"] ?? "python3"
        self.executableIsExplicit = executable != nil
        self.packagePath = packagePath ?? env["FLOWTUNE_BRIDGE_PYTHONPATH"] ?? Self.checkoutPackagePath
    }

    /// A simulator suite that lives in a virtual environment of its own.
    public struct SeparateInterpreter: Sendable {
        /// The ids it hosts start with this.
        public var idPrefix: String
        /// The variable that names its interpreter.
        public var variable: String
        /// The checkout's virtual environment its install script makes.
        public var venv: String
    }

    public static let separateInterpreters = [
        SeparateInterpreter(idPrefix: "maniskill/", variable: "FLOWTUNE_MANISKILL_PYTHON", venv: ".venv-maniskill"),
        SeparateInterpreter(idPrefix: "libero/", variable: "FLOWTUNE_LIBERO_PYTHON", venv: ".venv-libero"),
    ]

    /// The runtime that hosts `envID`: its suite's own interpreter (ManiSkill, LIBERO) when one is
    /// installed and none was given explicitly, otherwise this one.
    public func forEnvironment(_ envID: String) -> PythonRuntime {
        guard !executableIsExplicit, let python = Self.separateExecutable(for: envID) else { return self }
        var runtime = self
        runtime.executable = python
        return runtime
    }

    /// The interpreter of the separate suite hosting `envID`: its variable, else
    /// `<checkout>/<its venv>/bin/python` when it exists; nil for the other suites.
    static func separateExecutable(for envID: String) -> String? {
        guard let suite = separateInterpreters.first(where: { envID.hasPrefix($0.idPrefix) }) else { return nil }
        if let python = ProcessInfo.processInfo.environment[suite.variable], !python.isEmpty { return python }
        let python = checkoutRoot.appendingPathComponent(suite.venv + "/bin/python").path
        return FileManager.default.isExecutableFile(atPath: python) ? python : nil
    }

    /// `FLOWTUNE_MANISKILL_PYTHON`, else `<checkout>/.venv-maniskill/bin/python` when it exists.
    public static var maniSkillExecutable: String? { separateExecutable(for: "maniskill/") }

    /// `FLOWTUNE_LIBERO_PYTHON`, else `<checkout>/.venv-libero/bin/python` when it exists.
    public static var liberoExecutable: String? { separateExecutable(for: "libero/") }

    /// The FlowTune checkout this binary was built from (the sources this file was compiled from).
    static var checkoutRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()   // Bridge
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `<checkout>/python` when it exists next to the sources this file was compiled from.
    static var checkoutPackagePath: String? {
        let dir = checkoutRoot.appendingPathComponent("python")
        let marker = dir.appendingPathComponent("flowtune_bridge/__init__.py").path
        return FileManager.default.fileExists(atPath: marker) ? dir.path : nil
    }

    /// The worker's environment: this process's, with `packagePath` prepended to PYTHONPATH.
    func environment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        if let path = packagePath {
            env["PYTHONPATH"] = [path, env["PYTHONPATH"]].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ":")
        }
        return env
    }

    /// Runs `python -m flowtune_bridge <arguments>` to completion and returns its stdout; throws with
    /// its stderr when it fails. For one-off queries (catalog, bench), not for workers.
    public func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable, "-m", "flowtune_bridge"] + arguments
        process.environment = environment()
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { throw BridgeError.pythonNotFound(executable: executable, reason: "\(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = String(decoding: errData, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            if process.terminationStatus == 127 {
                throw BridgeError.pythonNotFound(executable: executable, reason: stderr.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            throw BridgeError.workerExited(status: "exit \(process.terminationStatus)", stderrTail: String(stderr.suffix(2000)))
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Which simulator suites this Python can host (`python -m flowtune_bridge catalog`).
    public func catalog() throws -> BridgeCatalog {
        let text = try run(["catalog"])
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let suites = object["suites"] as? [String: [String: Any]] else {
            throw BridgeError.malformedMessage("the catalog is not the expected JSON object: \(text.prefix(200))")
        }
        let entries = suites.keys.sorted().map { name -> BridgeCatalog.Suite in
            let s = suites[name]!
            return .init(name: name, available: s["available"] as? Bool ?? false, ids: s["ids"] as? [String] ?? [],
                         install: s["install"] as? String)
        }
        return BridgeCatalog(protocolVersion: object["protocol"] as? Int ?? 0, python: object["python"] as? String ?? "?",
                             suites: entries)
    }
}

/// The simulators a Python installation can host, as `flowtune envs` shows them.
public struct BridgeCatalog: Sendable, Equatable {
    public struct Suite: Sendable, Equatable {
        public var name: String
        public var available: Bool
        /// The ids when available (`metaworld/reach-v3`, …).
        public var ids: [String]
        /// What to install when not available.
        public var install: String?
    }

    public var protocolVersion: Int
    public var python: String
    public var suites: [Suite]
}
