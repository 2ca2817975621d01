import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file all at once or not at all: a crash, a full disk or a refused write leaves
/// either the old file or the new one, never a mix or a truncated file. Checkpoints, configs,
/// metrics rewrites and reports all go through it.
///
/// ```swift
/// try AtomicFile.write(Data(yaml.utf8), to: "runs/push/config.yaml")
/// try AtomicFile.write(checkpointBytes, to: "runs/push/checkpoints/latest.safetensors")
/// ```
///
/// Steps: write a temporary file in the same directory (`.NAME.tmp-PID-N`, the name cut to stay
/// under NAME_MAX), `fsync` it, `rename` it over the target (atomic within one file system), then
/// `fsync` the directory so the rename itself survives a power cut (best effort: some file systems
/// cannot `fsync` a directory, and the file is in place either way). On any failure the temporary
/// file is removed and the target is untouched.
public enum AtomicFile {
    /// Why a write failed: the path, the step and the `errno` it failed with.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var step: String
        public var code: Int32
        public var description: String { "\(step) for \(path): \(String(cString: strerror(code)))" }
    }

    private static let counter = Counter()

    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String, syscalls: FileSyscalls = .system) throws(Failure) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let baseName = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = "\(directory)/.\(baseName.prefix(150)).tmp-\(getpid())-\(counter.next())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(path: path, step: "cannot create a temporary file in \(directory)", code: errno) }
        var failure: Failure? = nil
        if let code = syscalls.writeAll(fd, bytes) {
            failure = Failure(path: path, step: "write failed", code: code)
        } else if syscalls.fsync(fd) != 0 {
            failure = Failure(path: path, step: "fsync failed", code: errno)
        }
        if close(fd) != 0 && failure == nil { failure = Failure(path: path, step: "close failed", code: errno) }
        if failure == nil && rename(temporary, path) != 0 { failure = Failure(path: path, step: "cannot replace the file", code: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
        syncDirectory(directory)
    }

    public static func write(_ bytes: [UInt8], to path: String, syscalls: FileSyscalls = .system) throws(Failure) {
        try bytes.withUnsafeBytes { raw in Result { () throws(Failure) in try write(raw, to: path, syscalls: syscalls) } }.get()
    }

    public static func write(_ data: Data, to path: String, syscalls: FileSyscalls = .system) throws(Failure) {
        try data.withUnsafeBytes { raw in Result { () throws(Failure) in try write(raw, to: path, syscalls: syscalls) } }.get()
    }

    /// `write(_:to:)` for text, as UTF-8.
    public static func write(_ text: String, to path: String, syscalls: FileSyscalls = .system) throws(Failure) {
        try write(Array(text.utf8), to: path, syscalls: syscalls)
    }

    /// Flushes a directory's entries (best effort).
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }
}
