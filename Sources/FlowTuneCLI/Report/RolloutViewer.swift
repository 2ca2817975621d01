import FlowRL
import Foundation

/// The report's rollout viewer: each filmed evaluation episode (`films/` of a run, written after
/// every evaluation of a built-in task or of a pixel policy) as a filmstrip of evenly spaced frames,
/// with its task, instruction and outcome, stage by stage (before RL, after RL). Frames are inline
/// PNG `data:` URLs, so the report stays one file with no scripts.
enum RolloutViewer {
    /// The "Rollouts" section, or "" when no run has films.
    static func section(_ runs: [ReportRun], colors: [String: String]) -> String {
        let filmed = runs.filter { !$0.films.isEmpty }
        guard !filmed.isEmpty else { return "" }
        var out = "<section>\n<h2>Rollouts</h2>\n"
        out += "<p class=\"note\">Evaluation episodes as the camera saw them (pixel policies) or as the top-down scene of the task's state, frames evenly spaced from the first observation to the last state.</p>\n"
        for run in filmed {
            for (stage, film) in run.films {
                out += "<h3><span class=\"dot\" style=\"background:\(colors[run.name] ?? "#333")\"></span>"
                    + "\(HTMLText.escape(run.name)): \(HTMLText.escape(stage))</h3>\n"
                for episode in film.episodes {
                    out += "<figure class=\"film\">" + strip(episode, size: film.size) + "<figcaption>"
                        + "<b>\(HTMLText.escape(episode.task))</b> · “\(HTMLText.escape(episode.instruction))” · "
                        + (episode.success ? "<span class=\"ok\">success</span>" : "<span class=\"fail\">failure</span>")
                        + " in \(episode.length) steps</figcaption></figure>\n"
                }
            }
        }
        return out + "</section>\n"
    }

    /// The episode's frames side by side, 2-pixel white gaps, as an `<img/>`.
    static func strip(_ episode: EpisodeFilm.Episode, size: Int) -> String {
        let gap = 2, n = episode.frames.count
        let width = n * size + (n - 1) * gap
        var rgb = [UInt8](repeating: 255, count: width * size * 3)
        for (k, frame) in episode.frames.enumerated() {
            let x0 = k * (size + gap)
            for y in 0..<size {
                for x in 0..<size {
                    for c in 0..<3 { rgb[(y * width + x0 + x) * 3 + c] = frame[(y * size + x) * 3 + c] }
                }
            }
        }
        let png = Data(PNGImage.encode(rgb: rgb, width: width, height: size)).base64EncodedString()
        return "<img alt=\"\(n) frames of \(HTMLText.escape(episode.task))\" width=\"\(width * 2)\" height=\"\(size * 2)\" "
            + "style=\"image-rendering: pixelated\" src=\"data:image/png;base64,\(png)\"/>"
    }
}
