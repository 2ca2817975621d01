import Foundation
import SafeTensors
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that only grows by whole records (JSON lines, TFRecords, log lines), each handed to the
/// kernel with one `write` so it is on disk as soon as `append` returns (no user-space buffer to
/// lose in a crash). A failed append is rolled back with `ftruncate`, so the file always ends
/// after the last complete record.
///
/// ```swift
/// let file = try AppendOnlyFile(path: "runs/a/metrics.jsonl", truncate: false)
/// try file.append(Data("{\"iteration\":1}\n".utf8))
/// ```
public final class AppendOnlyFile: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private var fd: Int32
    private var size: off_t
    private let syscalls: FileSyscalls

    /// Opens (creating it if needed) the file at `path`; `truncate` empties an existing one.
    public init(path: String, truncate: Bool, syscalls: FileSyscalls = .system) throws(RunDirectoryError) {
        self.path = path
        self.syscalls = syscalls
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0)
        fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw RunDirectoryError.from(errno: errno, path: path) }
        size = lseek(fd, 0, SEEK_END)
    }

    deinit { if fd >= 0 { closeDescriptor(fd) } }

    /// The file's length in bytes, as far as this writer knows.
    public var byteCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return Int(size)
    }

    /// Appends `data` whole, or throws and leaves the file as it was.
    public func append(_ data: Data) throws(RunDirectoryError) {
        lock.lock()
        defer { lock.unlock() }
        guard fd >= 0 else { throw RunDirectoryError.ioFailure(path: path, reason: "the file was closed") }
        let failure = data.withUnsafeBytes { syscalls.writeAll(fd, $0) }
        if let failure {
            _ = ftruncate(fd, size)
            throw RunDirectoryError.from(errno: failure, path: path)
        }
        size += off_t(data.count)
    }

    /// Asks the kernel to put everything appended so far on the disk (`fsync`).
    public func sync() throws(RunDirectoryError) {
        lock.lock()
        defer { lock.unlock() }
        guard fd >= 0 else { return }
        if syscalls.fsync(fd) != 0 { throw RunDirectoryError.from(errno: errno, path: path) }
    }

    /// Closes the file; later appends throw.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        if fd >= 0 {
            closeDescriptor(fd)
            fd = -1
        }
    }
}

/// `close(2)`, named apart from the `close()` methods of the types that own descriptors.
func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}
