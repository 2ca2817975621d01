import FlowPolicy
import Foundation
import SafeTensors

/// An `EpisodeFilm` on disk, in a run directory's `films/` (one file per evaluated stage):
///
/// | tensor | dtype | shape | meaning |
/// |---|---|---|---|
/// | `frames` | U8 | `[frames, size, size, 3]` | every episode's frames, episode after episode |
/// | `frame_counts` | I64 | `[episodes]` | frames of each episode |
///
/// Metadata: `format` = `flowtune.film/1`, `size`, `stage` (e.g. "SFT policy"), and `episodes`, a JSON
/// list of `{task, instruction, success, length}`.
extension EpisodeFilm {
    public static let formatTag = "flowtune.film/1"

    struct EpisodeInfo: Codable {
        var task: String
        var instruction: String
        var success: Bool
        var length: Int
    }

    public func write(to path: String, stage: String) throws {
        var file = SafeTensorsFile()
        let bytes = episodes.flatMap { $0.frames.flatMap { $0 } }
        let frameCount = episodes.reduce(0) { $0 + $1.frames.count }
        file.tensors["frames"] = SafeTensor(uint8s: bytes, shape: [frameCount, size, size, 3])
        file.tensors["frame_counts"] = SafeTensor(int64s: episodes.map { Int64($0.frames.count) }, shape: [episodes.count])
        let info = episodes.map { EpisodeInfo(task: $0.task, instruction: $0.instruction, success: $0.success, length: $0.length) }
        file.metadata = ["format": Self.formatTag, "size": "\(size)", "stage": stage,
                         "episodes": String(decoding: try JSONEncoder.sortedKeys.encode(info), as: UTF8.self)]
        try file.write(to: path)
    }

    /// Reads a film and the stage it shows; nil for a file that is not a film or does not add up.
    public static func read(from path: String) -> (film: EpisodeFilm, stage: String)? {
        guard let file = try? SafeTensorsFile.read(from: path), file.metadata["format"] == formatTag,
              let size = Int(file.metadata["size"] ?? ""), size > 0,
              let info = try? JSONDecoder().decode([EpisodeInfo].self, from: Data((file.metadata["episodes"] ?? "").utf8)),
              let bytes = try? file.uint8s("frames"), let counts = try? file.tensor("frame_counts").int64s(),
              counts.count == info.count, counts.allSatisfy({ $0 >= 0 }),
              bytes.count == Int(counts.reduce(0, +)) * size * size * 3 else { return nil }
        let frameBytes = size * size * 3
        var at = 0
        var episodes: [Episode] = []
        for (e, n) in zip(info, counts) {
            let frames = (0..<Int(n)).map { k in Array(bytes[((at + k) * frameBytes)..<((at + k + 1) * frameBytes)]) }
            at += Int(n)
            episodes.append(Episode(task: e.task, instruction: e.instruction, success: e.success, length: e.length, frames: frames))
        }
        return (EpisodeFilm(size: size, episodes: episodes), file.metadata["stage"] ?? "")
    }
}
