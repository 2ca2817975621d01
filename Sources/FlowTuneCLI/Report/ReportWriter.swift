import FlowRL
import Foundation
import SafeTensors

/// `flowtune report RUN_DIR [RUN_DIR…]`: one self-contained HTML file (inline CSS and SVG, no
/// scripts, no external resources) that compares runs.
///
/// ```swift
/// let path = try ReportWriter().write(runDirectories: ["runs/push-sft", "runs/push-fpo"],
///                                     to: "runs/report.html")
/// ```
///
/// Plots appear only when some run logged their metrics, runs overlaid in distinct colours:
/// - **Success rate** over environment steps: `eval_success` with a 95% Wilson band from
///   `eval_successes` (or `eval_success × eval_episodes`) successes out of `eval_episodes`
///   (when logged), and
///   `train_success` dashed; other `*success*` metrics (per task) get their own plots.
/// - **Return**: metrics whose name contains `return`.
/// - **Losses**: every metric ending in `_loss`, one plot each.
/// - **PPO ratio and clipping**: `ratio*` (one plot each), `*clip_frac*`, `*kl*`.
/// - **Exploration noise**: `sigma*`, `*entropy*`.
/// - **Q-ensemble disagreement**: `*disagreement*`.
/// - **Other metrics**: the rest (gradient norms, learning rates, speed), one plot each.
/// The x-axis is environment steps, or iterations for metrics logged without environment steps
/// (SFT). Then a summary table, the filmed evaluation episodes (`RolloutViewer`) and each run's
/// config.yaml in a collapsible `<details>`.
/// The document is well-formed XML as well as HTML, so any XML parser can check it.
public struct ReportWriter: Sendable {
    public var title: String

    /// Distinct colours (Tableau 10 order, which separates well for colour-blind readers).
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                 "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]

    public init(title: String = "FlowTune report") { self.title = title }

    /// Reads the runs and writes the report atomically to `output`; returns `output`.
    @discardableResult
    public func write(runDirectories: [String], to output: String, generatedAt: Date = Date()) throws(RunDirectoryError) -> String {
        var runs: [ReportRun] = []
        for path in runDirectories { runs.append(try ReportRun.load(path)) }
        try AtomicFile.writeRunFile(html(for: runs, generatedAt: generatedAt), to: output)
        return output
    }

    /// Where `flowtune report` writes by default: `report.html` inside the run for one run, else
    /// `report.html` in the current directory.
    public static func defaultOutputPath(for runDirectories: [String]) -> String {
        runDirectories.count == 1 ? runDirectories[0] + "/report.html" : "report.html"
    }

    public func html(for inputRuns: [ReportRun], generatedAt: Date = Date()) -> String {
        let runs = Self.uniquelyNamed(inputRuns)
        let colors = Dictionary(uniqueKeysWithValues: runs.enumerated().map { ($0.element.name, Self.palette[$0.offset % Self.palette.count]) })
        var body = ""
        body += "<header>\n<h1>\(HTMLText.escape(title))</h1>\n"
        body += "<p class=\"meta\">\(runs.count) run\(runs.count == 1 ? "" : "s") · generated \(HTMLText.escape(RunLogger.timestamp(generatedAt))) by flowtune report</p>\n</header>\n"
        body += summaryTable(runs, colors: colors)
        for section in plan(runs) {
            body += "<section>\n<h2>\(HTMLText.escape(section.title))</h2>\n"
            if let note = section.note { body += "<p class=\"note\">\(HTMLText.escape(note))</p>\n" }
            body += "<div class=\"charts\">\n"
            for chart in section.charts {
                body += (chart.wide ? "<figure class=\"wide\">" : "<figure>") + makeChart(chart, runs: runs, colors: colors).svg() + "</figure>\n"
            }
            for family in section.heatMaps {
                for run in runs {
                    let map = makeHeatMap(prefix: family.prefix, tasks: family.tasks, run: run)
                    guard !map.rows.isEmpty else { continue }
                    body += "<figure class=\"wide\">" + map.svg() + "</figure>\n"
                }
            }
            body += "</div>\n</section>\n"
        }
        body += RolloutViewer.section(runs, colors: colors)
        body += configSection(runs, colors: colors)
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <title>\(HTMLText.escape(title))</title>
            <style>
            \(Self.css)
            </style>
            </head>
            <body>
            \(body)<footer>Self-contained report: no scripts, no external resources. Hover a point for its value.</footer>
            </body>
            </html>

            """
    }

    // MARK: Which plots

    struct PlannedChart {
        var title: String
        var yLabel: String
        var metrics: [String]
        var percent = false
        var yBounds: ClosedRange<Double>? = nil
        var wide = false
    }

    struct PlannedSection {
        var title: String
        var note: String?
        var charts: [PlannedChart]
        /// Per-task success families drawn as heat maps, one per run: the metric prefix and its tasks.
        var heatMaps: [(prefix: String, tasks: [String])] = []
    }

    /// Per-task success metrics (`train_success_<task>`, `eval_success_<task>`, `eval_sde_success_<task>`)
    /// of a suite with at least this many tasks are drawn as a heat map instead of one chart per task.
    static let heatMapMinimumTasks = 4
    static let perTaskSuccessPrefixes = ["train_success_", "eval_success_", "eval_sde_success_"]
    /// Per-task diagnostics of a multi-task suite's update (docs/algorithms.md §4.1, §4.4), drawn as
    /// heat maps on each run's own range of values for the same tasks as the success maps.
    static let perTaskDiagnosticPrefixes = ["task_envs_", "train_episodes_", "approx_kl_", "advantage_mean_", "advantage_std_"]

    /// The sections and charts for the metrics these runs logged, each metric in one chart only.
    func plan(_ runs: [ReportRun]) -> [PlannedSection] {
        var remaining = Set(runs.flatMap(\.metrics.metricNames))
        // Counts that only serve the confidence band.
        remaining.subtract(["eval_episodes", "eval_successes"])
        var sections: [PlannedSection] = []

        func take(_ predicate: (String) -> Bool) -> [String] {
            let picked = remaining.filter(predicate).sorted(by: Self.metricOrder)
            remaining.subtract(picked)
            return picked
        }
        func groups(_ names: [String], size: Int = 3) -> [[String]] {
            stride(from: 0, to: names.count, by: size).map { Array(names[$0..<min($0 + size, names.count)]) }
        }

        var success: [PlannedChart] = []
        /// The `<prefix><task>` families with at least `minimum` tasks that pass `isTask`, taken out of `remaining`.
        func perTaskFamilies(_ prefixes: [String], minimum: Int, isTask: (String) -> Bool) -> [(prefix: String, tasks: [String])] {
            prefixes.compactMap { prefix in
                let names = remaining.filter { $0.hasPrefix(prefix) && isTask(String($0.dropFirst(prefix.count))) }
                guard names.count >= minimum else { return nil }
                remaining.subtract(names)
                return (prefix, names.map { String($0.dropFirst(prefix.count)) }.sorted())
            }
        }
        let heatMaps = perTaskFamilies(Self.perTaskSuccessPrefixes, minimum: Self.heatMapMinimumTasks) { _ in true }
        let suiteTasks = Set(heatMaps.flatMap(\.tasks))
        let diagnostics = perTaskFamilies(Self.perTaskDiagnosticPrefixes, minimum: 1) { suiteTasks.contains($0) }
        let main = take { $0 == "eval_success" || $0 == "train_success" }
        if !main.isEmpty {
            success.append(PlannedChart(title: "Success rate", yLabel: "success rate", metrics: main, percent: true, yBounds: 0...1,
                                        wide: true))
        }
        for name in take({ $0.contains("success") && !$0.hasSuffix("successes") && !$0.hasSuffix("_episodes") && !$0.hasSuffix("_count") }) {
            success.append(PlannedChart(title: name, yLabel: "success rate", metrics: [name], percent: true, yBounds: 0...1))
        }
        if !success.isEmpty {
            let hasEpisodes = runs.contains { $0.metrics.metricNames.contains("eval_episodes") }
            sections.append(PlannedSection(title: "Success rate",
                                           note: hasEpisodes ? "Shaded: 95% Wilson confidence interval of each evaluation." : nil,
                                           charts: success))
        }
        if !heatMaps.isEmpty {
            sections.append(PlannedSection(
                title: "Success per task",
                note: "One row per task, one column per span of iterations (the mean of its values there); hover a cell for its value. "
                    + "Training success comes from the episodes that finished in each iteration, a few per task.",
                charts: [], heatMaps: heatMaps))
        }
        if !diagnostics.isEmpty {
            sections.append(PlannedSection(
                title: "Update per task",
                note: "Environments dealt to each task (rl.task_allocation), the approximate KL of its decisions, and the mean and "
                    + "spread of its advantages before normalisation; each map shades from its run's smallest value (white) to its largest.",
                charts: [], heatMaps: diagnostics))
        }
        let returns = take { $0.contains("return") }
        if !returns.isEmpty {
            sections.append(PlannedSection(title: "Return", note: nil,
                                           charts: groups(returns).map { PlannedChart(title: $0.count == 1 ? $0[0] : "Return", yLabel: "return", metrics: $0) }))
        }
        let losses = take { $0.hasSuffix("_loss") }
        if !losses.isEmpty {
            sections.append(PlannedSection(title: "Losses", note: nil,
                                           charts: losses.map { PlannedChart(title: $0, yLabel: "loss", metrics: [$0]) }))
        }
        var ratioCharts: [PlannedChart] = []
        // One plot per ratio statistic: a heavy-tailed ratio_max would flatten ratio_mean ≈ 1.
        ratioCharts += take { $0.hasPrefix("ratio") }.map { PlannedChart(title: $0, yLabel: "ratio", metrics: [$0]) }
        ratioCharts += take { $0.contains("clip_frac") }.map { PlannedChart(title: $0, yLabel: "fraction clipped", metrics: [$0], percent: true) }
        ratioCharts += take { $0.contains("kl") }.map { PlannedChart(title: $0, yLabel: "KL", metrics: [$0]) }
        if !ratioCharts.isEmpty { sections.append(PlannedSection(title: "PPO ratio and clipping", note: nil, charts: ratioCharts)) }
        var noise: [PlannedChart] = []
        noise += groups(take { $0.hasPrefix("sigma") }).map { PlannedChart(title: "Exploration noise σ", yLabel: "σ", metrics: $0) }
        noise += take { $0.contains("entropy") }.map { PlannedChart(title: $0, yLabel: "entropy", metrics: [$0]) }
        if !noise.isEmpty { sections.append(PlannedSection(title: "Exploration noise", note: nil, charts: noise)) }
        let disagreement = take { $0.contains("disagreement") }
        if !disagreement.isEmpty {
            sections.append(PlannedSection(title: "Q-ensemble disagreement", note: "Standard deviation across the ensemble's critics.",
                                           charts: disagreement.map { PlannedChart(title: $0, yLabel: "disagreement", metrics: [$0]) }))
        }
        let other = take { _ in true }
        if !other.isEmpty {
            sections.append(PlannedSection(title: "Other metrics", note: nil,
                                           charts: other.map { PlannedChart(title: $0, yLabel: $0, metrics: [$0]) }))
        }
        return sections
    }

    /// `*mean*` before the rest, then by name: ratio_mean, ratio_max, ratio_min.
    static func metricOrder(_ a: String, _ b: String) -> Bool {
        let rank = { (name: String) in name.hasPrefix("eval") ? 0 : name.contains("mean") ? 1 : 2 }
        return rank(a) != rank(b) ? rank(a) < rank(b) : a < b
    }

    func makeChart(_ planned: PlannedChart, runs: [ReportRun], colors: [String: String]) -> SVGChart {
        // Environment steps on x unless these metrics were logged without any (SFT): then iterations.
        let byEnvSteps = runs.contains { run in
            let steps = planned.metrics.flatMap { run.metrics.series($0).map(\.envSteps) }
            return Set(steps).count > 1
        }
        var chart = SVGChart(title: planned.title, xLabel: byEnvSteps ? "environment steps" : "iteration", yLabel: planned.yLabel)
        if planned.wide { chart.makeWide() }
        chart.percent = planned.percent
        chart.yBounds = planned.yBounds
        for run in runs {
            for metric in planned.metrics {
                let points = run.metrics.series(metric)
                guard !points.isEmpty else { continue }
                let x = { (p: MetricPoint) in Double(byEnvSteps ? p.envSteps : p.iteration) }
                var series = ChartSeries(run: run.name, color: colors[run.name] ?? "#333", metric: metric,
                                         points: Self.thinned(points.map { (x($0), $0.value) }))
                if metric == "eval_success" {
                    series.band = run.metrics.records.compactMap { record in
                        guard let rate = record.values["eval_success"], let n = record.values["eval_episodes"], n > 0 else { return nil }
                        let ci = wilsonInterval(successes: record.values["eval_successes"] ?? (rate * n).rounded(), trials: n)
                        return (Double(byEnvSteps ? record.envSteps : record.iteration), ci.low, ci.high)
                    }
                }
                chart.series.append(series)
            }
        }
        return chart
    }

    /// The heat map of one run's `<prefix><task>` metrics (tasks it never logged are left out).
    func makeHeatMap(prefix: String, tasks: [String], run: ReportRun) -> SVGHeatMap {
        let metric = String(prefix.dropLast())
        var map = SVGHeatMap(title: "\(metric) per task · \(run.name)")
        for task in tasks {
            let values = run.metrics.series(prefix + task).map { (iteration: $0.iteration, value: $0.value) }
            if !values.isEmpty { map.rows.append((task, values)) }
        }
        if !Self.perTaskSuccessPrefixes.contains(prefix) {
            let all = map.rows.flatMap { $0.values.map(\.value) }.filter(\.isFinite)
            if let low = all.min(), let high = all.max() { map.scale = (low...high, metric) }
        }
        return map
    }

    /// At most about 2,000 points per line (every k-th, keeping the last), so long runs stay light.
    static func thinned(_ points: [(x: Double, y: Double)], limit: Int = 2000) -> [(x: Double, y: Double)] {
        guard points.count > limit else { return points }
        let stride = (points.count + limit - 1) / limit
        var kept = points.enumerated().filter { $0.offset % stride == 0 }.map(\.element)
        if let last = points.last, kept.last?.x != last.x { kept.append(last) }
        return kept
    }

    // MARK: Summary and configs

    func summaryTable(_ runs: [ReportRun], colors: [String: String]) -> String {
        var out = "<section>\n<h2>Runs</h2>\n<table class=\"summary\">\n<thead><tr><th>run</th><th>method</th><th>environment</th>"
        out += "<th>iterations</th><th>env steps</th><th>wall time</th><th>final eval success (95% CI)</th><th>best eval success</th></tr></thead>\n<tbody>\n"
        for run in runs {
            let records = run.metrics.records
            let last = records.last
            let evals = records.filter { $0.values["eval_success"]?.isFinite == true }
            var final = "–"
            if let e = evals.last, let rate = e.values["eval_success"] {
                final = String(format: "%.1f%%", rate * 100)
                if let n = e.values["eval_episodes"], n > 0 {
                    let ci = wilsonInterval(successes: e.values["eval_successes"] ?? (rate * n).rounded(), trials: n)
                    final += String(format: " [%.1f, %.1f] of %d", ci.low * 100, ci.high * 100, Int(n))
                }
            }
            let best = evals.compactMap { $0.values["eval_success"] }.max().map { String(format: "%.1f%%", $0 * 100) } ?? "–"
            let color = colors[run.name] ?? "#333"
            out += "<tr><td><span class=\"dot\" style=\"background:\(color)\"></span>\(HTMLText.escape(run.name))"
            if !run.notes.isEmpty { out += "<div class=\"run-note\">\(HTMLText.escape(run.notes.joined(separator: "; ")))</div>" }
            out += "</td>"
            out += "<td>\(HTMLText.escape(run.config?.rl.algo.rawValue ?? "–"))</td>"
            out += "<td>\(HTMLText.escape(run.config?.env.id ?? "–"))</td>"
            out += "<td class=\"num\">\(last.map { String($0.iteration) } ?? "–")</td>"
            out += "<td class=\"num\">\(last.map { ProgressReporter.grouped($0.envSteps) } ?? "–")</td>"
            out += "<td class=\"num\">\(last.flatMap { $0.wallTime.isFinite ? ProgressReporter.duration($0.wallTime) : nil } ?? "–")</td>"
            out += "<td class=\"num\">\(HTMLText.escape(final))</td><td class=\"num\">\(best)</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n</section>\n"
    }

    func configSection(_ runs: [ReportRun], colors: [String: String]) -> String {
        var out = "<section>\n<h2>Configuration</h2>\n"
        for run in runs {
            out += "<details><summary><span class=\"dot\" style=\"background:\(colors[run.name] ?? "#333")\"></span>"
            out += "\(HTMLText.escape(run.name)) <span class=\"path\">\(HTMLText.escape(run.path))/config.yaml</span></summary>\n"
            out += "<pre>\(HTMLText.escape(run.configText ?? "(no config.yaml)"))</pre></details>\n"
        }
        return out + "</section>\n"
    }

    /// Runs with the same name get ` (2)`, ` (3)`… so colours and legends stay unambiguous.
    static func uniquelyNamed(_ runs: [ReportRun]) -> [ReportRun] {
        var counts: [String: Int] = [:]
        return runs.map { run in
            var run = run
            counts[run.name, default: 0] += 1
            if counts[run.name]! > 1 { run.name += " (\(counts[run.name]!))" }
            return run
        }
    }

    static let css = """
        body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d1d24;
               margin: 0 auto; max-width: 1240px; padding: 24px 28px 48px; background: #fff; }
        h1 { font-size: 26px; margin: 0 0 4px; }
        h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #e4e4ea; }
        .meta, .note, footer { color: #666; font-size: 13px; }
        footer { margin-top: 40px; }
        table.summary { border-collapse: collapse; font-size: 13px; width: 100%; }
        table.summary th { text-align: left; font-weight: 600; color: #444; border-bottom: 2px solid #ddd; padding: 6px 8px; }
        table.summary td { border-bottom: 1px solid #eee; padding: 6px 8px; vertical-align: top; }
        td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
        .dot { display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 7px; vertical-align: -1px; }
        .run-note { color: #a05a00; font-size: 12px; margin-top: 2px; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 18px; }
        figure { margin: 0; border: 1px solid #ececf1; border-radius: 6px; padding: 6px; background: #fff; }
        figure.wide { grid-column: 1 / -1; }
        figure.film { margin: 6px 0; overflow-x: auto; }
        figure.film img { display: block; max-width: none; }
        figure.film .ok { color: #2ca02c; } figure.film .fail { color: #d62728; }
        svg.chart { width: 100%; height: auto; display: block; font-family: inherit; }
        .plot-bg { fill: #fafafc; }
        .grid { stroke: #e6e6ec; stroke-width: 1; }
        .axis { stroke: #666; stroke-width: 1; fill: none; }
        .tick { font-size: 11px; fill: #555; }
        .y-tick { text-anchor: end; }
        .x-tick { text-anchor: middle; }
        .axis-label { font-size: 12px; fill: #333; text-anchor: middle; }
        .chart-title { font-size: 14px; font-weight: 600; fill: #1d1d24; }
        .series { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
        .band { fill-opacity: 0.16; stroke: none; }
        .marker { stroke: #fff; stroke-width: 0.8; }
        .marker.dense { fill-opacity: 0; stroke: none; }
        .marker.dense:hover { fill-opacity: 1; }
        .legend { font-size: 11px; fill: #333; }
        .legend-line { stroke: #444; stroke-width: 2; }
        .band-swatch { fill: #777; fill-opacity: 0.25; }
        .empty { font-size: 12px; fill: #999; text-anchor: middle; }
        .clip-note { font-size: 11px; fill: #a05a00; text-anchor: end; }
        details { margin: 6px 0; border: 1px solid #ececf1; border-radius: 6px; padding: 6px 10px; }
        summary { cursor: pointer; font-weight: 600; font-size: 14px; }
        .path { color: #888; font-weight: normal; font-size: 12px; margin-left: 8px; }
        pre { font-size: 12px; line-height: 1.45; overflow-x: auto; background: #f7f7fa; padding: 10px; border-radius: 4px; }
        """
}
