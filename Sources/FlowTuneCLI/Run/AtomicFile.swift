import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file all at once or not at all: a crash, a full disk or a refused write leaves
/// either the old file or the new one, never a mix or a truncated file.
///
/// ```swift
/// try AtomicFile.write(Data(yaml.utf8), to: "runs/push/config.yaml")
/// try AtomicFile.write(checkpointBytes, to: "runs/push/checkpoints/latest.safetensors")
/// ```
///
/// Steps: write a temporary file in the same directory (`.NAME.tmp-PID-N`), `fsync` it, `rename`
/// it over the target (atomic within one file system), then `fsync` the directory so the rename
/// itself survives a power cut. On any failure the temporary file is removed and the target is
/// untouched.
public enum AtomicFile {
    private static let counter = Counter()

    public static func write(_ data: Data, to path: String, syscalls: FileSyscalls = .system) throws(RunDirectoryError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(counter.next())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunDirectoryError.from(errno: errno, path: path) }
        let failure: Int32? = data.withUnsafeBytes { bytes in
            if let code = syscalls.writeAll(fd, bytes) { return code }
            if syscalls.fsync(fd) != 0 { return errno }
            return nil
        }
        if let failure {
            close(fd)
            unlink(temporary)
            throw RunDirectoryError.from(errno: failure, path: path)
        }
        if close(fd) != 0 {
            let code = errno
            unlink(temporary)
            throw RunDirectoryError.from(errno: code, path: path)
        }
        if rename(temporary, path) != 0 {
            let code = errno
            unlink(temporary)
            throw RunDirectoryError.from(errno: code, path: path)
        }
        syncDirectory(directory)
    }

    /// `write(_:to:)` for text, as UTF-8.
    public static func write(_ text: String, to path: String, syscalls: FileSyscalls = .system) throws(RunDirectoryError) {
        try write(Data(text.utf8), to: path, syscalls: syscalls)
    }

    /// Flushes a directory's entries (best effort: some file systems refuse `fsync` on directories).
    static func syncDirectory(_ path: String) {
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
