#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two system calls through which run files reach the disk, replaceable so that tests can
/// make a write fail the way a full disk does (there is no portable way to fill a disk in a test).
///
/// ```swift
/// var calls = FileSyscalls.system
/// calls.write = { _, _, _ in errno = ENOSPC; return -1 }    // every write now hits a "full disk"
/// try AtomicFile.write(bytes, to: "runs/a/config.yaml", syscalls: calls)   // throws .diskFull
/// ```
public struct FileSyscalls: Sendable {
    /// `write(2)`: returns the bytes written, or -1 with `errno` set.
    public var write: @Sendable (_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int
    /// `fsync(2)`: returns 0, or -1 with `errno` set.
    public var fsync: @Sendable (_ fd: Int32) -> Int32

    public init(write: @escaping @Sendable (Int32, UnsafeRawPointer, Int) -> Int,
                fsync: @escaping @Sendable (Int32) -> Int32) {
        self.write = write
        self.fsync = fsync
    }

    /// The real system calls.
    public static let system = FileSyscalls(
        write: { fd, bytes, count in
            #if canImport(Glibc)
            Glibc.write(fd, bytes, count)
            #else
            Darwin.write(fd, bytes, count)
            #endif
        },
        fsync: { fd in
            #if canImport(Glibc)
            Glibc.fsync(fd)
            #else
            Darwin.fsync(fd)
            #endif
        })

    /// Writes all of `bytes`, retrying short writes and interrupted calls; returns `errno` on failure.
    public func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return EIO }
            offset += n
        }
        return nil
    }
}
