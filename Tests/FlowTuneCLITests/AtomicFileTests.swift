import FlowTestSupport
import FlowTuneCLI
import Foundation
import SafeTensors
import Testing

/// System calls whose writes fail with `code` once `budget` bytes have been written, the way a
/// disk that fills up mid-file behaves.
func failingSyscalls(after budget: Int, errno code: Int32 = ENOSPC) -> FileSyscalls {
    let written = LockedCounter()
    var calls = FileSyscalls.system
    let realWrite = calls.write
    calls.write = { fd, bytes, count in
        let allowed = budget - written.value
        if allowed <= 0 {
            errno = code
            return -1
        }
        let n = realWrite(fd, bytes, min(count, allowed))
        if n > 0 { written.add(n) }
        return n
    }
    return calls
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
    func add(_ n: Int) {
        lock.lock()
        count += n
        lock.unlock()
    }
}

@Suite struct AtomicFileTests {
    @Test func atomicWriteReplacesTheFileAndLeavesNoTemporaryFileBehind() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try AtomicFile.writeRunFile("first", to: root + "/state.bin")
        try AtomicFile.writeRunFile("second", to: root + "/state.bin")
        #expect(readText(root + "/state.bin") == "second")
        #expect(files(in: root) == ["state.bin"])
    }

    @Test func aFullDiskMidWriteLeavesThePreviousFileIntact() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/latest.safetensors"
        try AtomicFile.writeRunFile("last good checkpoint", to: path)
        let big = Data(repeating: 7, count: 1 << 20)
        let error = runError { try AtomicFile.writeRunFile(big, to: path, syscalls: failingSyscalls(after: 4096)) }
        #expect(error == .diskFull(path: path))
        #expect(error?.description.contains("the disk is full") == true)
        #expect(error?.description.contains("previous version of the file is intact") == true)
        #expect(readText(path) == "last good checkpoint")
        #expect(files(in: root) == ["latest.safetensors"], "the temporary file must be removed")
    }

    @Test func aFailedFsyncLeavesThePreviousFileIntact() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/config.yaml"
        try AtomicFile.writeRunFile("good", to: path)
        var calls = FileSyscalls.system
        calls.fsync = { _ in errno = EIO; return -1 }
        guard case .ioFailure? = runError({ try AtomicFile.writeRunFile("bad", to: path, syscalls: calls) }) else { return }
        #expect(readText(path) == "good")
        #expect(files(in: root) == ["config.yaml"])
    }

    @Test func writingUnderARegularFileOrUnderProcFailsWithNotWritable() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try AtomicFile.writeRunFile("x", to: root + "/file")
        for path in [root + "/file/config.yaml", "/proc/flowtune-test/config.yaml", "/proc/self/flowtune.yaml"] {
            let error = runError { try AtomicFile.writeRunFile("data", to: path) }
            guard case let .notWritable(reportedPath, reason)? = error else {
                Issue.record("\(path): \(String(describing: error))")
                continue
            }
            #expect(reportedPath == path)
            #expect(!reason.isEmpty)
        }
    }

    @Test func aFailedAppendIsRolledBackToTheLastCompleteRecord() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/metrics.jsonl"
        let first = MetricsLogger.jsonLine(MetricsRecord(iteration: 1, envSteps: 10, wallTime: 1))
        // Room for the first line and a few bytes of the second.
        let metrics = try MetricsLogger(path: path, syscalls: failingSyscalls(after: first.utf8.count + 1 + 5))
        try metrics.log(iteration: 1, envSteps: 10, wallTime: 1, metrics: [:])
        let error = runError { try metrics.log(iteration: 2, envSteps: 20, wallTime: 2, metrics: ["loss_value": 0.5]) }
        #expect(error == .diskFull(path: path))
        #expect(readText(path) == first + "\n")
        #expect(try MetricsLog.read(path).records.map(\.iteration) == [1])
    }
}
