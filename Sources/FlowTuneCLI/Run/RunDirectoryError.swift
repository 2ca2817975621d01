import Foundation
import SafeTensors
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can go wrong creating, opening or writing a run directory and its files.
///
/// ```swift
/// do { let run = try RunDirectory.create(in: "runs", name: "push-fpo") }
/// catch { print(error) }   // A run directory already exists at 'runs/push-fpo'; pass --overwrite …
/// ```
///
/// A write that fails (`diskFull`, `notWritable`, `ioFailure`) never replaces or truncates the
/// previous good version of the file: atomic writes go to a temporary file first, appends are
/// rolled back to the last complete record.
public enum RunDirectoryError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `path` exists and the caller did not ask to overwrite it.
    case runExists(path: String)
    /// `--resume` named a directory that does not exist.
    case runNotFound(path: String)
    /// `path` exists but does not look like a FlowTune run (no config.yaml), so it is neither
    /// resumed nor deleted; `reason` says what is missing.
    case notARunDirectory(path: String, reason: String)
    /// A run name that cannot be a single directory name.
    case invalidRunName(name: String)
    /// The disk (or the user's quota) is full.
    case diskFull(path: String)
    /// The operating system refused to create or write `path`; `reason` is its message.
    case notWritable(path: String, reason: String)
    /// A file that should be there (metrics, config) is not.
    case fileNotFound(path: String)
    /// Any other failure of an operation on `path`.
    case ioFailure(path: String, reason: String)

    public var description: String {
        switch self {
        case let .runExists(path):
            return "A run directory already exists at '\(path)'; pass --overwrite to replace it, --resume "
                + "\(path) to continue it, or choose another name with --set run.name=NAME."
        case let .runNotFound(path):
            return "There is no run directory at '\(path)' to resume; check the path, or start a new run "
                + "without --resume."
        case let .notARunDirectory(path, reason):
            return "'\(path)' is not a FlowTune run directory (\(reason)), so it is left untouched; choose "
                + "another name with --set run.name=NAME or another --set run.output_dir=DIR."
        case let .invalidRunName(name):
            return "'\(name)' cannot be a run directory name; use a non-empty name without '/', such as push-fpo."
        case let .diskFull(path):
            return "Cannot write '\(path)': the disk is full (the previous version of the file is intact); "
                + "free some space, for example by deleting old runs, and continue with --resume."
        case let .notWritable(path, reason):
            return "Cannot write '\(path)' (\(reason)); choose a writable location with --set run.output_dir=DIR."
        case let .fileNotFound(path):
            return "There is no file at '\(path)'; check that the run directory path is right and that the run "
                + "got far enough to write it."
        case let .ioFailure(path, reason):
            return "An I/O operation on '\(path)' failed (\(reason)); check the disk and the path, then "
                + "continue with --resume."
        }
    }

    /// The error for a failed system call on `path` with `code` (an `errno` value).
    public static func from(errno code: Int32, path: String) -> RunDirectoryError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOSPC, EDQUOT: return .diskFull(path: path)
        case EACCES, EPERM, EROFS, ENOTDIR, ENOENT, EISDIR, ENAMETOOLONG, ELOOP: return .notWritable(path: path, reason: reason)
        default: return .ioFailure(path: path, reason: reason)
        }
    }
}

extension AtomicFile {
    /// `write(_:to:)` for the files of a run directory, its failure told as a `RunDirectoryError`
    /// (a full disk, a path that cannot be written, an I/O error) that says what to do.
    public static func writeRunFile(_ data: Data, to path: String, syscalls: FileSyscalls = .system) throws(RunDirectoryError) {
        do { try write(data, to: path, syscalls: syscalls) } catch { throw RunDirectoryError.from(errno: error.code, path: path) }
    }

    /// `writeRunFile(_:to:)` for text, as UTF-8.
    public static func writeRunFile(_ text: String, to path: String, syscalls: FileSyscalls = .system) throws(RunDirectoryError) {
        try writeRunFile(Data(text.utf8), to: path, syscalls: syscalls)
    }
}
