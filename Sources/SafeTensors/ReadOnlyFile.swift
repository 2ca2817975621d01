#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func errorMessage(_ code: Int32) -> String { String(cString: strerror(code)) }

/// A file open for reading; closed when the value goes away.
final class OpenFile {
    let path: String
    let size: Int
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT { throw SafeTensorsError.fileNotFound(path: path) }
            throw SafeTensorsError.ioFailure(path: path, reason: errorMessage(code))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw SafeTensorsError.ioFailure(path: path, reason: errorMessage(code))
        }
        size = Int(info.st_size)
        // Directories open fine but cannot be read; find out now rather than report a truncated file.
        var probe: UInt8 = 0
        if pread(fd, &probe, 1, 0) < 0 {
            let code = errno
            close(fd)
            throw SafeTensorsError.ioFailure(path: path, reason: errorMessage(code))
        }
    }

    deinit { close(fd) }

    /// Up to `count` bytes from `offset`; fewer only if the file ends first.
    func read(count: Int, at offset: Int) throws -> [UInt8] {
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            while initialized < count {
                let n = pread(fd, buffer.baseAddress! + initialized, count - initialized, off_t(offset + initialized))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { return }
                initialized += n
            }
        }
        if failure != 0 { throw SafeTensorsError.ioFailure(path: path, reason: errorMessage(failure)) }
        return bytes
    }
}
