import FlowTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The result of a finished subprocess.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `<test python> -c script args…` and waits for it (`TestPython`: FLOWTUNE_PYTHON or python3).
func runPython(_ script: String, _ arguments: [String] = []) throws -> ProcessResult {
    let r = try TestPython.run(script, arguments)
    return ProcessResult(status: r.status, stdout: r.stdout, stderr: r.stderr)
}

/// The contents of a text file, or "" when it cannot be read.
func readText(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

/// Files in `directory` whose names start with `prefix`.
func files(in directory: String, prefix: String = "") -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
}
