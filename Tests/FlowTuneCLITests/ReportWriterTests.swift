import FlowTestSupport
import FlowRL
import FlowTuneCLI
import Foundation
import SafeTensors
import Testing

/// Synthetic runs with the metrics a trainer logs, written as real run directories.
enum SyntheticRuns {
    /// A run of `iterations` iterations whose success climbs from `start` to `end`.
    static func write(in root: String, name: String, algo: RLConfig.Algorithm, iterations: Int = 40, start: Double, end: Double,
                      seed: UInt64, ensemble: Bool = false, noise: Bool = false) throws -> RunDirectory {
        var config = FlowTuneConfig()
        config.run.name = name
        config.run.outputDir = root
        config.rl.algo = algo
        config.rl.iterations = iterations
        let run = try RunDirectory.create(for: config)
        try run.writeConfig(config)
        let metrics = try run.makeMetricsLogger()
        var rng = seed
        func noise01() -> Double {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Double(rng >> 11) / Double(1 << 53)
        }
        for i in 1...iterations {
            let progress = Double(i) / Double(iterations)
            let success = start + (end - start) * (1 - exp(-4 * progress))
            var values: [String: Double] = [
                "train_success": min(1, max(0, success - 0.05 + 0.1 * noise01())),
                "train_return": 10 * success + noise01(),
                "policy_loss": -0.02 * progress + 0.01 * noise01(),
                "value_loss": 2 * exp(-3 * progress) + 0.1 * noise01(),
                "ratio_mean": 1 + 0.01 * (noise01() - 0.5),
                "ratio_max": 1.2 + 0.1 * noise01(),
                "clip_fraction": 0.1 * noise01(),
                "approx_kl": 0.01 * noise01(),
                "grad_norm": 0.5 + noise01(),
                "lr_actor": 1e-5,
            ]
            if noise { values["sigma_mean"] = 0.16 - 0.06 * progress; values["entropy"] = -1 - progress }
            if ensemble { values["ensemble_disagreement"] = 0.5 * exp(-2 * progress) }
            if i % 5 == 0 || i == 1 {
                let episodes = 100.0
                values["eval_success"] = (min(1, max(0, success + 0.04 * (noise01() - 0.5))) * episodes).rounded() / episodes
                values["eval_episodes"] = episodes
                values["eval_successes"] = values["eval_success"]! * episodes
                values["eval_return"] = 10 * success
            }
            try metrics.log(iteration: i, envSteps: i * 2560, wallTime: Double(i) * 4.2, metrics: values)
        }
        metrics.close()
        return run
    }
}

extension SyntheticRuns {
    /// Two filmed episodes of 3 frames of 8×8 pixels, coloured by frame, in `films/1-sft-policy.safetensors`.
    static func writeFilm(in run: RunDirectory) throws {
        let folder = run.file(RunDirectory.filmsFolderName)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let frames = (0..<3).map { k in [UInt8](repeating: UInt8(60 * k + 30), count: 8 * 8 * 3) }
        let film = EpisodeFilm(size: 8, episodes: [
            .init(task: "push-left", instruction: "push the block to the left target", success: true, length: 42, frames: frames),
            .init(task: "lift", instruction: "pick up the cube & lift it", success: false, length: 90, frames: frames),
        ])
        try film.write(to: folder + "/1-sft-policy.safetensors", stage: "SFT policy")
    }
}

@Suite struct ReportWriterTests {
    /// A report of three synthetic runs; also copied to $FLOWTUNE_REPORT_PREVIEW when that is set,
    /// to look at it in a browser.
    func threeRunReport() throws -> (root: String, html: String, runs: [RunDirectory]) {
        let root = try makeTemporaryDirectory()
        let runs = [
            try SyntheticRuns.write(in: root, name: "sft-only", algo: .flowSDE, iterations: 1, start: 0.3, end: 0.3, seed: 1),
            try SyntheticRuns.write(in: root, name: "flow-noise", algo: .flowNoise, start: 0.3, end: 0.85, seed: 2, noise: true),
            try SyntheticRuns.write(in: root, name: "fpo-lyu", algo: .fpoLyu, start: 0.3, end: 0.95, seed: 3, ensemble: true),
        ]
        try SyntheticRuns.writeFilm(in: runs[1])
        let output = root + "/report.html"
        try ReportWriter(title: "Push: SFT vs RL").write(runDirectories: runs.map(\.path), to: output)
        if let preview = ProcessInfo.processInfo.environment["FLOWTUNE_REPORT_PREVIEW"] {
            try AtomicFile.writeRunFile(readText(output), to: preview)
        }
        return (root, readText(output), runs)
    }

    @Test func reportIsWellFormedHTMLAndWellFormedXML() throws {
        let (root, html, _) = try threeRunReport()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let script = """
            import sys, xml.etree.ElementTree as ET
            from html.parser import HTMLParser
            text = open(sys.argv[1], encoding='utf-8').read()
            ET.fromstring(text.split('\\n', 1)[1])          # the whole document minus <!DOCTYPE html>
            VOID = {'meta', 'br', 'img', 'link', 'input', 'hr'}
            class Balance(HTMLParser):
                def __init__(self):
                    super().__init__(); self.stack = []; self.svgs = 0
                def handle_starttag(self, tag, attrs):
                    if tag == 'svg': self.svgs += 1
                    if tag not in VOID: self.stack.append(tag)
                def handle_startendtag(self, tag, attrs):
                    pass
                def handle_endtag(self, tag):
                    if tag in VOID: return
                    assert self.stack and self.stack[-1] == tag, f'</{tag}> closes <{self.stack[-1] if self.stack else None}>'
                    self.stack.pop()
            p = Balance(); p.feed(text); p.close()
            assert not p.stack, f'unclosed: {p.stack}'
            print('ok', p.svgs)
            """
        let result = try runPython(script, [root + "/report.html"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("ok"), "\(result.stdout)")
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
    }

    @Test func reportIsSelfContained() throws {
        let (root, html, _) = try threeRunReport()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        #expect(!html.replacingOccurrences(of: "src=\"data:image/png;base64,", with: "").contains("src="), "images are inline PNGs")
        #expect(!html.contains("url("))
        let addresses = html.components(separatedBy: "http").dropFirst().map { String($0.prefix(30)) }
        #expect(addresses.allSatisfy { $0.hasPrefix("://www.w3.org/2000/svg\"") }, "\(addresses)")
    }

    @Test func plottedPointsOfAKnownMetricAreTheSVGPathCoordinates() throws {
        let (root, _, runs) = try threeRunReport()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Map each path's pixels back to data with the axis the SVG declares, and compare with metrics.jsonl.
        let script = """
            import sys, json, re, xml.etree.ElementTree as ET
            NS = '{http://www.w3.org/2000/svg}'
            text = open(sys.argv[1], encoding='utf-8').read()
            root = ET.fromstring(text.split('\\n', 1)[1])
            out = {}
            for svg in root.iter(NS + 'svg'):
                x0, x1 = map(float, svg.get('data-x-domain').split())
                y0, y1 = map(float, svg.get('data-y-domain').split())
                left, top, width, height = map(float, svg.get('data-plot').split())
                for path in svg.iter(NS + 'path'):
                    if path.get('class') != 'series': continue
                    pts = []
                    for px, py in re.findall(r'[ML]([-\\d.]+) ([-\\d.]+)', path.get('d')):
                        x = x0 + (float(px) - left) / width * (x1 - x0)
                        y = y0 + (1 - (float(py) - top) / height) * (y1 - y0)
                        pts.append([x, y])
                    out[svg.get('data-title') + '|' + path.get('data-run') + '|' + path.get('data-metric')] = pts
            print(json.dumps(out))
            """
        let result = try runPython(script, [root + "/report.html"])
        #expect(result.status == 0, "\(result.stderr)")
        let plotted = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [[Double]]])
        for run in runs {
            let name = run.path.split(separator: "/").last.map(String.init)!
            for (title, metric) in [("Success rate", "eval_success"), ("value_loss", "value_loss"), ("ratio_mean", "ratio_mean")] {
                let logged = try MetricsLog.read(run.metricsPath).series(metric)
                let points = try #require(plotted["\(title)|\(name)|\(metric)"], "\(title) of \(name): keys \(plotted.keys.sorted())")
                #expect(points.count == logged.count)
                let values = logged.map(\.value)
                let span = max(1e-9, (values.max() ?? 0) - (values.min() ?? 0), metric == "eval_success" ? 1 : 0)
                for (p, l) in zip(points, logged) {
                    #expect(abs(p[0] - Double(l.envSteps)) <= 0.002 * Double(runs.count * 40 * 2560), "x of \(metric)")
                    #expect(abs(p[1] - l.value) <= 0.01 * span + 1e-3 * max(1, abs(l.value)), "\(metric) of \(name) at \(l.envSteps): \(p[1]) vs \(l.value)")
                }
            }
        }
    }

    @Test func severalRunsAreOverlaidInDistinctColoursWithALegend() throws {
        let (root, html, _) = try threeRunReport()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let successChart = try #require(html.components(separatedBy: "<svg").first { $0.contains("data-title=\"Success rate\"") })
        let strokes = Set(successChart.components(separatedBy: "class=\"series\"").dropFirst().compactMap { part -> String? in
            guard let range = part.range(of: #"stroke="(#[0-9a-f]{6})""#, options: .regularExpression) else { return nil }
            return String(part[range])
        })
        #expect(strokes.count == 3)
        for name in ["sft-only", "flow-noise", "fpo-lyu"] {
            #expect(successChart.contains("<text class=\"legend\" x=") && successChart.contains(">\(name)</text>"), "legend entry \(name)")
        }
        #expect(successChart.contains(">95% CI (Wilson)</text>"))
        #expect(successChart.contains("class=\"band\""))
        #expect(successChart.contains("stroke-dasharray"), "train_success is dashed next to eval_success")
        // Axes carry tick labels and names.
        #expect(successChart.contains(">100%</text>") && successChart.contains(">0%</text>"))
        #expect(successChart.contains(">environment steps</text>") && successChart.contains(">success rate</text>"))
    }

    @Test func onlyPlotsWhoseMetricsExistAppear() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try RunDirectory.create(in: root, name: "sft")
        try run.writeConfig(FlowTuneConfig())
        let metrics = try run.makeMetricsLogger()
        for i in 1...10 { try metrics.log(iteration: i, envSteps: 0, wallTime: Double(i), metrics: ["sft_loss": 1 / Double(i)]) }
        let html = ReportWriter().html(for: [try ReportRun.load(run.path)])
        #expect(html.contains("<h2>Losses</h2>"))
        #expect(html.contains(">iteration</text>"), "without environment steps the x-axis is iterations")
        for absent in ["Success rate", "Return", "PPO ratio and clipping", "Exploration noise", "Q-ensemble disagreement", "Other metrics"] {
            #expect(!html.contains("<h2>\(absent)</h2>"), "\(absent)")
        }
        let (fullRoot, full, _) = try threeRunReport()
        defer { try? FileManager.default.removeItem(atPath: fullRoot) }
        for present in ["Success rate", "Return", "Losses", "PPO ratio and clipping", "Exploration noise", "Q-ensemble disagreement", "Other metrics"] {
            #expect(full.contains("<h2>\(present)</h2>"), "\(present)")
        }
        // Episode and success counts feed the confidence band; they are not curves of their own.
        #expect(!full.contains("data-title=\"eval_successes\"") && !full.contains("data-title=\"eval_episodes\""))
    }

    @Test func eachRunsConfigIsShownInACollapsibleBlock() throws {
        let (root, html, _) = try threeRunReport()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(html.components(separatedBy: "<details>").count - 1 == 3)
        #expect(html.contains("algo: fpo-lyu"))
        #expect(html.contains("algo: flow-noise"))
        #expect(html.contains("<td>fpo-lyu</td>"), "the summary table names each run's method")
    }

    @Test func aRunWithATruncatedMetricsFileStillReportsAndSaysSo() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try SyntheticRuns.write(in: root, name: "crashed", algo: .fpo, iterations: 10, start: 0.2, end: 0.5, seed: 9)
        let handle = try #require(FileHandle(forWritingAtPath: run.metricsPath))
        handle.seekToEndOfFile()
        handle.write(Data("{\"iteration\":11,\"env_st".utf8))
        try handle.close()
        let html = ReportWriter().html(for: [try ReportRun.load(run.path)])
        #expect(html.contains("metrics.jsonl ends in a truncated line (ignored)"))
        #expect(html.contains("data-title=\"Success rate\""))
    }

    @Test func reportOfAPathThatIsNotARunSaysSo() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(runError { _ = try ReportRun.load(root + "/nothing") } == .runNotFound(path: root + "/nothing"))
        guard case .notARunDirectory? = runError({ _ = try ReportRun.load(root) }) else { return }
    }

    @Test func aRareSpikeDoesNotFlattenThePlotAndIsFlaggedWithItsTrueValueKept() throws {
        var chart = SVGChart(title: "PPO ratio", xLabel: "iteration", yLabel: "ratio")
        let values = (0..<50).map { i in i == 20 ? 600.0 : 1 + 0.01 * Double(i % 7) }
        chart.series = [ChartSeries(run: "a", color: "#1f77b4", metric: "ratio_max",
                                    points: values.enumerated().map { (Double($0.offset), $0.element) })]
        let svg = chart.svg()
        let domainText = try #require(svg.range(of: #"data-y-domain="[^"]*""#, options: .regularExpression).map { String(svg[$0]) })
        let upper = try #require(Double(domainText.dropLast().split(separator: " ").last ?? ""))
        #expect(upper < 2, "\(domainText)")
        #expect(svg.contains("1 outlier beyond the axis, drawn at its edge"))
        #expect(svg.contains("ratio_max = 600 at iteration 20"), "the tooltip keeps the true value")
        // Without spikes nothing is pulled in.
        chart.series[0].points[20].y = 1.03
        #expect(!chart.svg().contains("outlier"))
    }

    @Test func wilsonIntervalMatchesTheFormula() {
        let ci = wilsonInterval(successes: 62, trials: 100)
        #expect(abs(ci.low - 0.52210) < 1e-4 && abs(ci.high - 0.70901) < 1e-4)
        let zero = wilsonInterval(successes: 0, trials: 20)
        #expect(zero.low == 0 && abs(zero.high - 0.16113) < 1e-4)
        let all = wilsonInterval(successes: 20, trials: 20)
        #expect(all.high == 1 && abs(all.low - 0.83887) < 1e-4)
        // The report's fractional counts and the evaluator's integer counts give the same interval.
        #expect(wilsonInterval(successes: 62.0, trials: 100.0) == ci)
    }

    @Test func axesUseRoundTicksAndCompactLabels() {
        let a = AxisScale(min: 3, max: 97)
        #expect(a.ticks == [0, 20, 40, 60, 80, 100])
        let steps = AxisScale(min: 0, max: 1_234_567, targetTicks: 6)
        #expect(steps.ticks.map(steps.label) == ["0", "250k", "500k", "750k", "1M", "1.25M"])
        let rates = AxisScale(min: 0, max: 1, percent: true, clampTo: 0...1)
        #expect(rates.ticks.map(rates.label) == ["0%", "20%", "40%", "60%", "80%", "100%"])
        let small = AxisScale(min: 0.0001, max: 0.0009)
        #expect(small.label(small.ticks[1]).contains("e-4"))
        let flat = AxisScale(min: 2, max: 2)
        #expect(flat.lower < 2 && flat.upper > 2)
    }
}

extension ReportWriterTests {
    /// A run of a ten-task suite: `train_success_<task>` every iteration, `eval_success_<task>` at
    /// iterations 0 and 250. Task k succeeds with rate k/10 in the first half and 1 − k/10 after.
    /// A multi-task run's metrics; `extra(i, k)` adds task k's other metrics at training iteration i.
    static func multiTaskRun(in root: String, tasks: Int, iterations: Int = 250,
                             extra: (Int, Int) -> [String: Double] = { _, _ in [:] }) throws -> RunDirectory {
        let run = try RunDirectory.create(in: root, name: "mt")
        try run.writeConfig(FlowTuneConfig())
        let metrics = try run.makeMetricsLogger()
        for i in 0...iterations {
            var values: [String: Double] = ["train_success": 0.5]
            for k in 0..<tasks {
                let rate = i <= iterations / 2 ? Double(k) / 10 : 1 - Double(k) / 10
                if i > 0 { values["train_success_task\(k)"] = rate; values.merge(extra(i, k)) { $1 } }
                if i == 0 || i == iterations { values["eval_success_task\(k)"] = rate }
            }
            try metrics.log(iteration: i, envSteps: i * 100, wallTime: Double(i), metrics: values)
        }
        metrics.close()
        return run
    }

    /// The cells of every heat map: (title, task, from, to, value or nil).
    static func heatMapCells(_ html: String) -> [(map: String, task: String, from: Int, to: Int, value: Double?)] {
        var cells: [(String, String, Int, Int, Double?)] = []
        for svg in html.components(separatedBy: "<svg").dropFirst() where svg.contains("class=\"chart heatmap\"") {
            let title = svg.components(separatedBy: "data-title=\"")[1].components(separatedBy: "\"")[0]
            for rect in svg.components(separatedBy: "<rect").dropFirst() where rect.contains("data-task=") {
                func attribute(_ name: String) -> String? {
                    let parts = rect.components(separatedBy: " \(name)=\"")
                    return parts.count > 1 ? parts[1].components(separatedBy: "\"")[0] : nil
                }
                cells.append((title, attribute("data-task")!, Int(attribute("data-from")!)!, Int(attribute("data-to")!)!,
                              attribute("data-value").flatMap(Double.init)))
            }
        }
        return cells
    }

    @Test func aSuiteOfManyTasksGetsOneHeatMapPerSuccessFamilyWhoseCellsAreSpanMeans() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try Self.multiTaskRun(in: root, tasks: 10)
        let html = ReportWriter().html(for: [try ReportRun.load(run.path)])
        #expect(html.contains("<h2>Success per task</h2>"))
        #expect(!html.contains("data-title=\"train_success_task3\""), "no line chart per task")
        let cells = Self.heatMapCells(html)
        let train = cells.filter { $0.map == "train_success per task · mt" }
        let eval = cells.filter { $0.map == "eval_success per task · mt" }
        #expect(Set(train.map(\.task)).count == 10 && Set(eval.map(\.task)).count == 10)
        #expect(train.count == 10 * 100, "250 iterations in 100 columns")
        #expect(eval.count == 10 * 2, "two evaluations, one column each")
        for cell in train where cell.task == "task3" {
            // The mean of the iterations in the span: 0.3 up to iteration 125, 0.7 after.
            let first = max(cell.from, 1), last = cell.to
            let before = max(0, min(last, 125) - first + 1), after = max(0, last - max(first, 126) + 1)
            let expected = (0.3 * Double(before) + 0.7 * Double(after)) / Double(before + after)
            #expect(abs(cell.value! - expected) < 1e-9, "\(cell)")
        }
        #expect(train.first { $0.task == "task0" }!.from == 1 && train.last { $0.task == "task0" }!.to == 250)
        #expect(eval.first { $0.task == "task9" && $0.from == 0 }?.value == 0.9)
    }

    /// The update's per-task diagnostics (environments dealt, KL, advantage mean and spread) are heat
    /// maps too, shaded on the run's own range, not one line chart per task.
    @Test func perTaskUpdateDiagnosticsAreHeatMapsOnTheirOwnRange() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try Self.multiTaskRun(in: root, tasks: 10) { i, task in
            ["task_envs_task\(task)": Double(1 + task % 3), "approx_kl_task\(task)": 0.001 * Double(task + i % 2)]
        }
        let html = ReportWriter().html(for: [try ReportRun.load(run.path)])
        #expect(html.contains("<h2>Update per task</h2>"))
        #expect(!html.contains("data-title=\"approx_kl_task3\"") && !html.contains("data-title=\"task_envs_task3\""))
        let envs = Self.heatMapCells(html).filter { $0.map == "task_envs per task · mt" }
        #expect(Set(envs.map(\.task)).count == 10 && envs.allSatisfy { $0.value.map { (1...3).contains($0) } ?? false })
        #expect(html.contains("1 → 3 task_envs"), "the legend names the run's range")
        #expect(Self.heatMapCells(html).contains { $0.map == "approx_kl per task · mt" })
    }

    @Test func aSuiteOfFewTasksKeepsOneLineChartPerTask() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try Self.multiTaskRun(in: root, tasks: 3)
        let html = ReportWriter().html(for: [try ReportRun.load(run.path)])
        #expect(!html.contains("<h2>Success per task</h2>"))
        #expect(html.contains("data-title=\"train_success_task2\""))
    }

    @Test func heatMapColoursRunFromWhiteToDarkGreen() {
        #expect(SVGHeatMap.color(0) == "#f7fcf5" && SVGHeatMap.color(1) == "#00441b" && SVGHeatMap.color(0.5) == "#74c476")
        #expect(SVGHeatMap.color(-1) == SVGHeatMap.color(0) && SVGHeatMap.color(.nan) == SVGHeatMap.color(0))
    }
}

extension ReportWriterTests {
    @Test func theRolloutViewerShowsEachFilmedEpisodeAsAPNGFilmstripWithItsOutcome() throws {
        let (root, html, _) = try threeRunReport()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(html.contains("<h2>Rollouts</h2>"))
        #expect(html.contains("flow-noise: SFT policy"))
        #expect(html.contains("pick up the cube &amp; lift it"))
        #expect(html.contains("success</span> in 42 steps") && html.contains("failure</span> in 90 steps"))
        // An independent decoder (Python's zlib) reads the strip: 3 frames of 8 pixels, 2-pixel gaps.
        let script = """
            import sys, re, base64, zlib, struct
            text = open(sys.argv[1], encoding='utf-8').read()
            data = base64.b64decode(re.findall(r'src="data:image/png;base64,([^"]+)"', text)[0])
            assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
            at, chunks = 8, {}
            while at < len(data):
                n, kind = struct.unpack('>I4s', data[at:at + 8]); body = data[at + 8:at + 8 + n]
                assert struct.unpack('>I', data[at + 8 + n:at + 12 + n])[0] == zlib.crc32(kind + body)
                chunks[kind] = chunks.get(kind, b'') + body; at += 12 + n
            w, h = struct.unpack('>II', chunks[b'IHDR'][:8])
            raw = zlib.decompress(chunks[b'IDAT'])
            row = lambda y: raw[y * (3 * w + 1) + 1:(y + 1) * (3 * w + 1)]
            print(w, h, row(4)[0], row(4)[3 * 9], row(4)[3 * 10], row(4)[3 * 20])
            """
        let result = try runPython(script, [root + "/report.html"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "28 8 30 255 90 150", "\(result.stdout)")
    }
}
