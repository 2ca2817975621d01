import Foundation

/// One curve of a chart: a run's values of one metric, optionally with a shaded band.
public struct ChartSeries: Sendable {
    /// The run it belongs to (legend entry, colour).
    public var run: String
    public var color: String
    public var metric: String
    /// Points in data units; a non-finite `y` breaks the line there.
    public var points: [(x: Double, y: Double)]
    /// A band drawn under the line (confidence interval), in data units.
    public var band: [(x: Double, low: Double, high: Double)]

    public init(run: String, color: String, metric: String, points: [(x: Double, y: Double)],
                band: [(x: Double, low: Double, high: Double)] = []) {
        self.run = run
        self.color = color
        self.metric = metric
        self.points = points
        self.band = band
    }
}

/// A line chart as inline SVG: axes with ticks and labels, grid, bands, lines, markers with
/// hover tooltips (native `<title>`), and a legend of runs (colours) and metrics (dash styles).
///
/// ```swift
/// var chart = SVGChart(title: "Success rate", xLabel: "environment steps", yLabel: "success")
/// chart.yBounds = 0...1; chart.percent = true
/// chart.series = [ChartSeries(run: "fpo", color: "#1f77b4", metric: "eval_success", points: pts)]
/// let svg = chart.svg()
/// ```
///
/// The `<svg>` element carries the mapping from data to pixels (`data-x-domain`, `data-y-domain`,
/// `data-plot` = left top width height), and every line is a `<path class="series">` with
/// `data-run` and `data-metric`, so tests and scripts can read values back from the drawing.
public struct SVGChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [ChartSeries] = []
    /// Fixed y range (success rates: 0...1); nil fits the data.
    public var yBounds: ClosedRange<Double>?
    /// Y tick labels as percentages.
    public var percent = false
    public var width = 560
    public var plotHeight = 250

    /// A chart that spans the page (the report's main success plot).
    public mutating func makeWide() {
        width = 1160
        plotHeight = 320
    }

    static let dashes = ["", "7 4", "2 3", "10 3 2 3"]
    static let margin = (left: 62.0, right: 18.0, top: 34.0, bottom: 46.0)

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// Metrics in first-seen order; each gets a dash style.
    var metrics: [String] {
        var seen: [String] = []
        for s in series where !seen.contains(s.metric) { seen.append(s.metric) }
        return seen
    }

    /// Runs in first-seen order with their colours.
    var runs: [(name: String, color: String)] {
        var seen: [(String, String)] = []
        for s in series where !seen.contains(where: { $0.0 == s.run }) { seen.append((s.run, s.color)) }
        return seen
    }

    public func svg() -> String {
        let m = Self.margin
        let plotWidth = Double(width) - m.left - m.right
        let plotH = Double(plotHeight)
        let legend = legendEntries()
        let legendRows = legendLayout(legend, available: Double(width) - m.left - m.right)
        let height = m.top + plotH + m.bottom + Double(legendRows.count) * 18 + (legendRows.isEmpty ? 0 : 4)

        let finite = series.flatMap { $0.points.filter { $0.x.isFinite && $0.y.isFinite } }
        let bandValues = series.flatMap { $0.band.flatMap { [$0.low, $0.high] } }.filter(\.isFinite)
        let xs = finite.map(\.x)
        let ys = finite.map(\.y) + bandValues
        // Steps and iterations start at 0; the axis ends at the last point.
        let xMin = xs.min() ?? 0
        let xAxis = AxisScale(min: xMin >= 0 ? 0 : xMin, max: xs.max() ?? 1, targetTicks: width > 800 ? 10 : 6, tight: true)
        let yAxis: AxisScale
        if let yBounds {
            yAxis = AxisScale(min: yBounds.lowerBound, max: yBounds.upperBound, targetTicks: 5, percent: percent, clampTo: yBounds)
        } else {
            let range = Self.robustRange(ys)
            yAxis = AxisScale(min: range.lower, max: range.upper, targetTicks: 5, percent: percent)
        }
        // Values beyond the axis (rare spikes) are drawn on its edge; tooltips keep the true value.
        let clipped = ys.filter { $0 < yAxis.lower || $0 > yAxis.upper }.count
        func px(_ x: Double) -> Double { m.left + xAxis.fraction(x) * plotWidth }
        func py(_ y: Double) -> Double { m.top + (1 - min(1, max(0, yAxis.fraction(y)))) * plotH }

        var out = Self.openSVG(class: "chart", width: width, height: height, title: title, attributes:
            " data-x-domain=\"\(xAxis.lower) \(xAxis.upper)\" data-y-domain=\"\(yAxis.lower) \(yAxis.upper)\""
            + " data-plot=\"\(Self.n(m.left)) \(Self.n(m.top)) \(Self.n(plotWidth)) \(Self.n(plotH))\"")
        out += "<rect class=\"plot-bg\" x=\"\(Self.n(m.left))\" y=\"\(Self.n(m.top))\" width=\"\(Self.n(plotWidth))\" height=\"\(Self.n(plotH))\"/>\n"
        out += "<text class=\"chart-title\" x=\"\(Self.n(m.left))\" y=\"20\">\(HTMLText.escape(title))</text>\n"
        if clipped > 0 {
            let note = "\(clipped) outlier\(clipped == 1 ? "" : "s") beyond the axis, drawn at its edge"
            out += "<text class=\"clip-note\" x=\"\(Self.n(m.left + plotWidth))\" y=\"20\">\(HTMLText.escape(note))</text>\n"
        }

        // Grid and ticks.
        for tick in yAxis.ticks {
            let y = py(tick)
            out += "<line class=\"grid\" x1=\"\(Self.n(m.left))\" y1=\"\(Self.n(y))\" x2=\"\(Self.n(m.left + plotWidth))\" y2=\"\(Self.n(y))\"/>"
            out += "<text class=\"tick y-tick\" x=\"\(Self.n(m.left - 6))\" y=\"\(Self.n(y + 4))\">\(HTMLText.escape(yAxis.label(tick)))</text>\n"
        }
        for tick in xAxis.ticks {
            let x = px(tick)
            out += "<line class=\"grid\" x1=\"\(Self.n(x))\" y1=\"\(Self.n(m.top))\" x2=\"\(Self.n(x))\" y2=\"\(Self.n(m.top + plotH))\"/>"
            out += "<text class=\"tick x-tick\" x=\"\(Self.n(x))\" y=\"\(Self.n(m.top + plotH + 16))\">\(HTMLText.escape(xAxis.label(tick)))</text>\n"
        }
        out += "<path class=\"axis\" d=\"M\(Self.n(m.left)) \(Self.n(m.top))V\(Self.n(m.top + plotH))H\(Self.n(m.left + plotWidth))\"/>\n"
        out += "<text class=\"axis-label\" x=\"\(Self.n(m.left + plotWidth / 2))\" y=\"\(Self.n(m.top + plotH + 36))\">\(HTMLText.escape(xLabel))</text>\n"
        out += "<text class=\"axis-label\" transform=\"translate(14 \(Self.n(m.top + plotH / 2))) rotate(-90)\">\(HTMLText.escape(yLabel))</text>\n"

        // Bands under all lines, then lines, then markers on top.
        out += "<g class=\"data\">\n"
        for s in series where !s.band.isEmpty {
            let band = s.band.filter { $0.x.isFinite && $0.low.isFinite && $0.high.isFinite }
            guard band.count >= 1 else { continue }
            var d = "M" + band.map { "\(Self.n(px($0.x))) \(Self.n(py($0.high)))" }.joined(separator: "L")
            d += "L" + band.reversed().map { "\(Self.n(px($0.x))) \(Self.n(py($0.low)))" }.joined(separator: "L") + "Z"
            if band.count == 1 {
                let b = band[0]
                d = "M\(Self.n(px(b.x) - 3)) \(Self.n(py(b.high)))H\(Self.n(px(b.x) + 3))V\(Self.n(py(b.low)))H\(Self.n(px(b.x) - 3))Z"
            }
            out += "<path class=\"band\" d=\"\(d)\" fill=\"\(s.color)\" data-run=\"\(HTMLText.escape(s.run))\" data-metric=\"\(HTMLText.escape(s.metric))\"/>\n"
        }
        let metricList = metrics
        for s in series {
            let dash = Self.dashes[(metricList.firstIndex(of: s.metric) ?? 0) % Self.dashes.count]
            var d = ""
            var penDown = false
            for p in s.points {
                guard p.x.isFinite && p.y.isFinite else { penDown = false; continue }
                d += (penDown ? "L" : "M") + "\(Self.n(px(p.x))) \(Self.n(py(p.y)))"
                penDown = true
            }
            guard !d.isEmpty else { continue }
            out += "<path class=\"series\" d=\"\(d)\" stroke=\"\(s.color)\""
            if !dash.isEmpty { out += " stroke-dasharray=\"\(dash)\"" }
            out += " data-run=\"\(HTMLText.escape(s.run))\" data-metric=\"\(HTMLText.escape(s.metric))\"/>\n"
            // Every point carries a hover tooltip; on dense lines the dots themselves stay hidden.
            let visible = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            let markerClass = visible.count > 30 ? "marker dense" : "marker"
            if visible.count <= 400 {
                for p in visible {
                    let value = percent ? String(format: "%.1f%%", p.y * 100) : Self.g(p.y)
                    out += "<circle class=\"\(markerClass)\" cx=\"\(Self.n(px(p.x)))\" cy=\"\(Self.n(py(p.y)))\" r=\"\(visible.count == 1 ? 4 : 2.5)\" fill=\"\(s.color)\">"
                    out += "<title>\(HTMLText.escape("\(s.run) · \(s.metric) = \(value) at \(xLabel) \(Self.g(p.x))"))</title></circle>\n"
                }
            }
        }
        out += "</g>\n"
        if series.isEmpty || finite.isEmpty {
            out += "<text class=\"empty\" x=\"\(Self.n(m.left + plotWidth / 2))\" y=\"\(Self.n(m.top + plotH / 2))\">no finite values</text>\n"
        }

        // Legend rows under the x-axis label.
        var y = m.top + plotH + m.bottom + 12
        for row in legendRows {
            for (entry, x) in row {
                switch entry {
                case let .run(name, color):
                    out += "<rect class=\"swatch\" x=\"\(Self.n(x))\" y=\"\(Self.n(y - 8))\" width=\"14\" height=\"10\" fill=\"\(color)\"/>"
                    out += "<text class=\"legend\" x=\"\(Self.n(x + 18))\" y=\"\(Self.n(y + 1))\">\(HTMLText.escape(name))</text>\n"
                case let .metric(name, dash):
                    out += "<line class=\"legend-line\" x1=\"\(Self.n(x))\" y1=\"\(Self.n(y - 3))\" x2=\"\(Self.n(x + 22))\" y2=\"\(Self.n(y - 3))\""
                    out += dash.isEmpty ? "/>" : " stroke-dasharray=\"\(dash)\"/>"
                    out += "<text class=\"legend\" x=\"\(Self.n(x + 26))\" y=\"\(Self.n(y + 1))\">\(HTMLText.escape(name))</text>\n"
                case let .band(label):
                    out += "<rect class=\"swatch band-swatch\" x=\"\(Self.n(x))\" y=\"\(Self.n(y - 8))\" width=\"14\" height=\"10\"/>"
                    out += "<text class=\"legend\" x=\"\(Self.n(x + 18))\" y=\"\(Self.n(y + 1))\">\(HTMLText.escape(label))</text>\n"
                }
            }
            y += 18
        }
        out += "</svg>"
        return out
    }

    enum LegendEntry {
        case run(String, String)
        case metric(String, String)
        case band(String)

        var width: Double {
            switch self {
            case let .run(name, _): return 18 + SVGChart.textWidth(name) + 16
            case let .metric(name, _): return 26 + SVGChart.textWidth(name) + 16
            case let .band(label): return 18 + SVGChart.textWidth(label) + 16
            }
        }
    }

    func legendEntries() -> [LegendEntry] {
        var entries = runs.map { LegendEntry.run($0.name, $0.color) }
        let metricList = metrics
        if metricList.count > 1 {
            entries += metricList.enumerated().map { .metric($0.element, Self.dashes[$0.offset % Self.dashes.count]) }
        }
        if series.contains(where: { !$0.band.isEmpty }) { entries.append(.band("95% CI (Wilson)")) }
        return entries
    }

    func legendLayout(_ entries: [LegendEntry], available: Double) -> [[(LegendEntry, Double)]] {
        var rows: [[(LegendEntry, Double)]] = []
        var row: [(LegendEntry, Double)] = []
        var x = Self.margin.left
        for entry in entries {
            if !row.isEmpty && x + entry.width > Self.margin.left + available {
                rows.append(row)
                row = []
                x = Self.margin.left
            }
            row.append((entry, x))
            x += entry.width
        }
        if !row.isEmpty { rows.append(row) }
        return rows
    }

    /// The y-range to show: all values, unless a few spikes would flatten everything else. With
    /// 20 or more values, an end more than twice the central spread (2nd–98th percentile) beyond
    /// that spread is pulled in to a quarter of the spread past it.
    static func robustRange(_ values: [Double]) -> (lower: Double, upper: Double) {
        guard let low = values.min(), let high = values.max() else { return (0, 1) }
        guard values.count >= 20 else { return (low, high) }
        let sorted = values.sorted()
        let p2 = sorted[Int(Double(sorted.count - 1) * 0.02)]
        let p98 = sorted[Int(Double(sorted.count - 1) * 0.98)]
        let spread = p98 - p2
        guard spread > 0 else { return (low, high) }
        let lower = low < p2 - 2 * spread ? p2 - 0.25 * spread : low
        let upper = high > p98 + 2 * spread ? p98 + 0.25 * spread : high
        return (lower, upper)
    }

    /// Approximate width of 11 px sans-serif text.
    static func textWidth(_ text: String) -> Double { Double(text.count) * 6.2 }

    /// Pixel coordinates with two decimals at most.
    /// The opening `<svg>` element (size, accessible name, `data-title`, then `attributes`) and its `<title>`.
    static func openSVG(class name: String, width: Int, height: Double, title: String, attributes: String = "") -> String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(name)\" viewBox=\"0 0 \(width) \(n(height))\""
        out += " width=\"\(width)\" height=\"\(n(height))\" role=\"img\""
        out += " aria-label=\"\(HTMLText.escape(title))\" data-title=\"\(HTMLText.escape(title))\"" + attributes + ">\n"
        return out + "<title>\(HTMLText.escape(title))</title>\n"
    }

    static func n(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(format: "%.2f", rounded).replacingOccurrences(of: "0+$", with: "", options: .regularExpression)
    }

    /// A value for a tooltip: 4 significant digits.
    static func g(_ value: Double) -> String { String(format: "%.4g", value) }
}
