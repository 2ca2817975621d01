import FlowRL
import Foundation

/// What a report needs from one run directory: its name, its config and its metrics.
///
/// ```swift
/// let run = try ReportRun.load("runs/push-fpo")
/// run.name                           // "push-fpo" (run.name from config.yaml, else the folder name)
/// run.metrics.series("eval_success")
/// ```
///
/// A run that crashed may have a truncated `metrics.jsonl` or no config: whatever is there is
/// shown, and `notes` says what was missing. A path with neither file is not a run.
public struct ReportRun: Sendable {
    public var name: String
    public var path: String
    /// `config.yaml` as written (with its comments), or nil.
    public var configText: String?
    /// The parsed config, when it parses with this version's schema.
    public var config: FlowTuneConfig?
    public var metrics: MetricsLog
    /// Problems worth telling the reader ("metrics.jsonl ends in a truncated line").
    public var notes: [String]
    /// Filmed evaluation episodes (`films/`), in the order the run recorded them, with their stage.
    public var films: [(stage: String, film: EpisodeFilm)] = []

    public init(name: String, path: String = "", configText: String? = nil, config: FlowTuneConfig? = nil,
                metrics: MetricsLog, notes: [String] = []) {
        self.name = name
        self.path = path
        self.configText = configText
        self.config = config
        self.metrics = metrics
        self.notes = notes
    }

    public static func load(_ path: String) throws(RunDirectoryError) -> ReportRun {
        let directory = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw RunDirectoryError.runNotFound(path: directory)
        }
        guard isDirectory.boolValue else { throw RunDirectoryError.notARunDirectory(path: directory, reason: "it is a file") }
        let configPath = directory + "/" + RunDirectory.configFileName
        let metricsPath = directory + "/" + RunDirectory.metricsFileName
        let hasConfig = FileManager.default.fileExists(atPath: configPath)
        let hasMetrics = FileManager.default.fileExists(atPath: metricsPath)
        guard hasConfig || hasMetrics else {
            throw RunDirectoryError.notARunDirectory(path: directory, reason: "it has neither config.yaml nor metrics.jsonl")
        }
        var notes: [String] = []
        var configText: String?
        var config: FlowTuneConfig?
        if hasConfig {
            configText = try? String(contentsOfFile: configPath, encoding: .utf8)
            if let configText {
                do { config = try FlowTuneConfig.load(yaml: configText, source: configPath) }
                catch { notes.append("config.yaml does not match this version's schema: \(error)") }
            }
        } else {
            notes.append("no config.yaml")
        }
        var metrics = MetricsLog()
        if hasMetrics {
            metrics = try MetricsLog.read(metricsPath)
            if metrics.truncatedTail { notes.append("metrics.jsonl ends in a truncated line (ignored)") }
            if !metrics.skippedLines.isEmpty {
                notes.append("metrics.jsonl lines \(metrics.skippedLines.map(String.init).joined(separator: ", ")) are not valid records (skipped)")
            }
        } else {
            notes.append("no metrics.jsonl")
        }
        let folder = URL(fileURLWithPath: directory).lastPathComponent
        var run = ReportRun(name: config?.run.name ?? folder, path: directory, configText: configText, config: config,
                            metrics: metrics, notes: notes)
        let filmFolder = directory + "/" + RunDirectory.filmsFolderName
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: filmFolder)) ?? []).filter { $0.hasSuffix(".safetensors") }
        for name in names.sorted(by: { $0.localizedStandardCompare($1) == .orderedAscending }) {
            if let film = EpisodeFilm.read(from: filmFolder + "/" + name) { run.films.append((film.stage, film.film)) }
            else { run.notes.append("films/\(name) is not a readable film (skipped)") }
        }
        return run
    }
}
