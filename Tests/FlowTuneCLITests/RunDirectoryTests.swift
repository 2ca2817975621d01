import FlowTestSupport
import FlowTuneCLI
import Foundation
import SafeTensors
import Testing

/// The `RunDirectoryError` that `body` throws, or a recorded issue.
func runError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> RunDirectoryError? {
    do {
        try body()
        Issue.record("expected a RunDirectoryError, got none", sourceLocation: sourceLocation)
    } catch let error as RunDirectoryError {
        return error
    } catch {
        Issue.record("expected a RunDirectoryError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

@Suite struct RunDirectoryTests {
    @Test func createMakesTheRunFolderWithACheckpointsFolderInsideANewOutputDirectory() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try RunDirectory.create(in: root + "/deep/runs", name: "push-fpo")
        #expect(run.path == root + "/deep/runs/push-fpo")
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: run.checkpointsPath, isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(run.configPath.hasSuffix("/push-fpo/config.yaml"))
        #expect(run.metricsPath.hasSuffix("/push-fpo/metrics.jsonl"))
        #expect(run.checkpointPath(iteration: 10).hasSuffix("/checkpoints/iter-000010.safetensors"))
    }

    @Test func anExistingRunIsNeverOverwrittenWithoutOverwriteAndTheErrorSaysWhatToDo() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try RunDirectory.create(in: root, name: "a")
        try run.writeConfig(FlowTuneConfig())
        try AtomicFile.writeRunFile("{\"iteration\":1}\n", to: run.metricsPath)
        let error = runError { _ = try RunDirectory.create(in: root, name: "a") }
        #expect(error == .runExists(path: root + "/a"))
        let text = error?.description ?? ""
        #expect(text.contains("--overwrite") && text.contains("--resume") && text.contains("run.name"))
        #expect(readText(run.metricsPath) == "{\"iteration\":1}\n")
    }

    @Test func overwriteReplacesAnExistingRunWithAnEmptyOne() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let old = try RunDirectory.create(in: root, name: "a")
        try old.writeConfig(FlowTuneConfig())
        try AtomicFile.writeRunFile("old", to: old.metricsPath)
        let new = try RunDirectory.create(in: root, name: "a", overwrite: true)
        #expect(new.path == old.path)
        #expect(files(in: new.path) == ["checkpoints"])
        #expect(files(in: root) == ["a"], "the replaced run must not be left aside")
    }

    @Test func overwriteRefusesToDeleteAFolderThatIsNotARun() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/photos", withIntermediateDirectories: false)
        try AtomicFile.writeRunFile("precious", to: root + "/photos/cat.jpg")
        let error = runError { _ = try RunDirectory.create(in: root, name: "photos", overwrite: true) }
        guard case .notARunDirectory? = error else { return }
        #expect(readText(root + "/photos/cat.jpg") == "precious")
    }

    @Test func resumeOpensAnExistingRunAndRejectsAMissingOrForeignOne() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try RunDirectory.create(in: root, name: "a")
        try run.writeConfig(FlowTuneConfig())
        #expect(try RunDirectory.open(run.path + "/") == run)
        #expect(runError { _ = try RunDirectory.open(root + "/missing") } == .runNotFound(path: root + "/missing"))
        try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: false)
        guard case .notARunDirectory? = runError({ _ = try RunDirectory.open(root + "/empty") }) else { return }
    }

    @Test(arguments: ["", ".", "..", "a/b"])
    func namesThatAreNotOneFolderAreRejected(name: String) throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(runError { _ = try RunDirectory.create(in: root, name: name) } == .invalidRunName(name: name))
    }

    @Test func anUnwritableOutputDirectoryGivesAClearError() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try AtomicFile.writeRunFile("not a folder", to: root + "/file")
        // Root ignores permission bits, so use places no one can create folders in.
        for outputDir in [root + "/file", root + "/file/runs", "/proc/flowtune-runs"] {
            let error = runError { _ = try RunDirectory.create(in: outputDir, name: "a") }
            guard case let .notWritable(path, _)? = error else {
                Issue.record("\(outputDir): \(String(describing: error))")
                continue
            }
            #expect(path.hasPrefix(outputDir) || outputDir.hasPrefix(path))
            #expect(error!.description.contains("run.output_dir"))
        }
    }

    @Test func loggerAppendsTimestampedLinesAcrossReopens() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try RunDirectory.create(in: root, name: "a")
        let echoed = LockedLines()
        let log = try run.makeLogger(echo: { echoed.append($0) })
        log.info("collected 10 demonstrations")
        log.warning("NaN reward\nupdate skipped")
        log.close()
        try run.makeLogger().error("disk full")
        let lines = readText(run.logPath).split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO  collected 10 demonstrations$"#, options: .regularExpression) != nil)
        #expect(lines[1].hasSuffix("WARN  NaN reward") && lines[2].hasSuffix("WARN  update skipped"))
        #expect(lines[3].hasSuffix("ERROR disk full"))
        #expect(echoed.lines == ["collected 10 demonstrations", "warn: NaN reward\nupdate skipped"])
    }

    @Test func loggerThatCannotWriteKeepsTheRunGoingAndSaysSoOnce() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var calls = FileSyscalls.system
        calls.write = { _, _, _ in errno = ENOSPC; return -1 }
        let echoed = LockedLines()
        let log = try RunLogger(path: root + "/log.txt", echo: { echoed.append($0) }, syscalls: calls)
        log.info("one")
        log.info("two")
        #expect(log.failedWrites == 2)
        #expect(echoed.lines.filter { $0.contains("cannot write the run log") }.count == 1)
        #expect(echoed.lines.contains("two"))
    }
}

/// Lines collected from several threads.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ line: String) {
        lock.lock()
        storage.append(line)
        lock.unlock()
    }
    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
    var joined: String { lines.joined() }
}
