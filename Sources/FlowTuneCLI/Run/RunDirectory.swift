import FlowConfig
import Foundation
import SafeTensors
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `runs/<name>/`: everything one run leaves behind, in a layout CleanRL and SB3 users recognise.
///
/// ```swift
/// let run = try RunDirectory.create(for: config, overwrite: overwriteFlag)   // runs/<name>/, fresh
/// try run.writeConfig(config)                                               // config.yaml
/// let log = try run.makeLogger()                                            // log.txt
/// let metrics = try run.makeMetricsLogger()                                 // metrics.jsonl
/// let tb = try run.makeTensorBoardWriter()                                  // events.out.tfevents.*
/// try run.writeAtomically(checkpointBytes, to: run.latestCheckpointPath)
///
/// let resumed = try RunDirectory.open("runs/push-fpo")                      // --resume
/// let config = try resumed.loadConfig()
/// ```
///
/// ```
/// runs/<name>/
///   config.yaml                  effective config (every knob, with its meaning as a comment)
///   log.txt                      timestamped diary
///   metrics.jsonl                one JSON object per iteration
///   events.out.tfevents.*        TensorBoard scalars
///   checkpoints/iter-000010.safetensors, latest.safetensors, best.safetensors
/// ```
///
/// An existing directory is never replaced unless `overwrite` is true, and even then only if it
/// looks like a run (has a config.yaml, or is empty); it is renamed aside before it is deleted,
/// so a failure half-way never leaves half a run.
public struct RunDirectory: Sendable, Equatable {
    public let path: String

    public static let configFileName = "config.yaml"
    public static let metricsFileName = "metrics.jsonl"
    public static let logFileName = "log.txt"
    public static let checkpointsDirectoryName = "checkpoints"
    /// Filmed evaluation episodes, one `EpisodeFilm` file per evaluation (`RolloutViewer`).
    public static let filmsFolderName = "films"

    public var configPath: String { file(Self.configFileName) }
    public var metricsPath: String { file(Self.metricsFileName) }
    public var logPath: String { file(Self.logFileName) }
    public var checkpointsPath: String { file(Self.checkpointsDirectoryName) }
    public var latestCheckpointPath: String { checkpointsPath + "/latest.safetensors" }
    public var bestCheckpointPath: String { checkpointsPath + "/best.safetensors" }

    /// The periodic checkpoint of `iteration`: `checkpoints/iter-000010.safetensors`.
    public func checkpointPath(iteration: Int) -> String {
        checkpointsPath + "/iter-" + String(format: "%06d", iteration) + ".safetensors"
    }

    /// `name` inside the run directory.
    public func file(_ name: String) -> String { path + "/" + name }

    private init(path: String) { self.path = path }

    /// Creates `outputDir/name/` (and `outputDir` if needed) with its `checkpoints/` folder.
    /// Throws `runExists` if it exists and `overwrite` is false.
    public static func create(in outputDir: String, name: String, overwrite: Bool = false) throws(RunDirectoryError) -> RunDirectory {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.contains("\0") else {
            throw RunDirectoryError.invalidRunName(name: name)
        }
        try makeDirectories(outputDir)
        let path = (outputDir.hasSuffix("/") ? String(outputDir.dropLast()) : outputDir) + "/" + name
        if mkdir(path, 0o755) != 0 {
            let code = errno
            guard code == EEXIST else { throw RunDirectoryError.from(errno: code, path: path) }
            guard overwrite else { throw RunDirectoryError.runExists(path: path) }
            try remove(existingRun: path)
            if mkdir(path, 0o755) != 0 { throw RunDirectoryError.from(errno: errno, path: path) }
        }
        let run = RunDirectory(path: path)
        if mkdir(run.checkpointsPath, 0o755) != 0 { throw RunDirectoryError.from(errno: errno, path: run.checkpointsPath) }
        return run
    }

    /// `create(in: config.run.outputDir, name: config.runName, overwrite:)`.
    public static func create(for config: FlowTuneConfig, overwrite: Bool = false) throws(RunDirectoryError) -> RunDirectory {
        try create(in: config.run.outputDir, name: config.runName, overwrite: overwrite)
    }

    /// A private directory for a data-parallel rank other than 0, which writes nothing to the run
    /// directory: its logs and checkpoints land here and the caller removes it at the end.
    public static func scratch(rank: Int) throws(RunDirectoryError) -> RunDirectory {
        let base = FileManager.default.temporaryDirectory.path
        return try create(in: base, name: "flowtune-rank\(rank)-\(getpid())", overwrite: true)
    }

    /// Deletes the directory (a rank's scratch directory at the end of its job).
    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Opens an existing run to resume it; it must contain a `config.yaml`.
    public static func open(_ path: String) throws(RunDirectoryError) -> RunDirectory {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: trimmed, isDirectory: &isDirectory) else {
            throw RunDirectoryError.runNotFound(path: trimmed)
        }
        guard isDirectory.boolValue else {
            throw RunDirectoryError.notARunDirectory(path: trimmed, reason: "it is a file")
        }
        let run = RunDirectory(path: trimmed)
        guard FileManager.default.fileExists(atPath: run.configPath) else {
            throw RunDirectoryError.notARunDirectory(path: trimmed, reason: "it has no \(configFileName)")
        }
        if !FileManager.default.fileExists(atPath: run.checkpointsPath), mkdir(run.checkpointsPath, 0o755) != 0 {
            throw RunDirectoryError.from(errno: errno, path: run.checkpointsPath)
        }
        return run
    }

    /// Saves the effective config as `config.yaml`, atomically, with a header saying how to reuse it.
    public func writeConfig(_ config: FlowTuneConfig, command: String? = nil) throws(RunDirectoryError) {
        var header = "Effective FlowTune configuration of run '\(URL(fileURLWithPath: path).lastPathComponent)': "
            + "every knob, defaulted and overridden.\nReuse it with --config \(configPath); resume the run with --resume \(path)."
        if let command { header += "\nCommand: \(command)" }
        try writeAtomically(Data(config.yaml(header: header).utf8), to: configPath)
    }

    /// Reads `config.yaml` back (as `--resume` does).
    public func loadConfig() throws(ConfigError) -> FlowTuneConfig {
        try FlowTuneConfig.load(file: configPath)
    }

    /// Replaces the file at `path` (absolute, or relative to the current directory) atomically.
    public func writeAtomically(_ data: Data, to path: String) throws(RunDirectoryError) {
        try AtomicFile.writeRunFile(data, to: path)
    }

    /// The run's `log.txt`, appended to (a resumed run continues the same diary).
    public func makeLogger(echo: (@Sendable (String) -> Void)? = nil) throws(RunDirectoryError) -> RunLogger {
        try RunLogger(path: logPath, truncate: false, echo: echo)
    }

    /// The run's `metrics.jsonl`; `resume` appends instead of starting an empty file.
    public func makeMetricsLogger(resume: Bool = false) throws(RunDirectoryError) -> MetricsLogger {
        try MetricsLogger(path: metricsPath, truncate: !resume)
    }

    /// A new TensorBoard event file in the run directory.
    public func makeTensorBoardWriter() throws(RunDirectoryError) -> TensorBoardWriter {
        try TensorBoardWriter(directory: path)
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) throws(RunDirectoryError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw RunDirectoryError.notWritable(path: path, reason: "it is a file, not a directory") }
            return
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if parent != path && !parent.isEmpty { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw RunDirectoryError.from(errno: errno, path: path) }
    }

    /// Deletes an existing run for `overwrite`: only a directory with a config.yaml, or an empty one.
    static func remove(existingRun path: String) throws(RunDirectoryError) {
        let contents: [String]
        do { contents = try FileManager.default.contentsOfDirectory(atPath: path) }
        catch { throw RunDirectoryError.notARunDirectory(path: path, reason: "it is not a readable directory") }
        guard contents.isEmpty || contents.contains(configFileName) else {
            throw RunDirectoryError.notARunDirectory(path: path, reason: "it is not empty and has no \(configFileName)")
        }
        let aside = path + ".deleting-\(getpid())"
        if rename(path, aside) != 0 { throw RunDirectoryError.from(errno: errno, path: path) }
        do { try FileManager.default.removeItem(atPath: aside) }
        catch { throw RunDirectoryError.ioFailure(path: aside, reason: "could not delete the replaced run: \(error.localizedDescription)") }
    }
}
