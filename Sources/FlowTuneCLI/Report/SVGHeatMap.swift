import Foundation

/// Per-task success (or another per-task quantity) over a run as an inline SVG heat map: one row per
/// task, one column per span of iterations, each cell shaded from white (0%, or the bottom of
/// `scale`) to dark green (100%, or its top) by the mean of the task's values in that span. Ten or
/// fifty tasks stay readable where ten or fifty line charts would not.
///
/// ```swift
/// var map = SVGHeatMap(title: "train_success per task · push-fpo", xLabel: "iteration")
/// map.rows = [("reach-v3", [(1, 0.0), (2, 0.5), (3, 1.0)]), ("push-v3", [(1, 0.0), (3, 0.25)])]
/// let svg = map.svg()
/// ```
///
/// Columns split the iterations between the first and the last value into at most `maxColumns`
/// equal spans (one per iteration when there are fewer); a cell with no value is grey. Every cell
/// has a `<title>` tooltip (task, iterations, mean, values averaged) and `data-task`, `data-from`,
/// `data-to` and `data-value` attributes, so tests and scripts can read the values back.
public struct SVGHeatMap: Sendable {
    public var title: String
    public var xLabel: String
    /// Each task's values, as (iteration, value in [0, 1]) pairs.
    public var rows: [(task: String, values: [(iteration: Int, value: Double)])] = []
    public var maxColumns = 100
    public var width = 1160
    /// The values white and dark green stand for, and how they read: nil for success rates (0 to 1,
    /// shown as percentages); otherwise e.g. the smallest and largest value a run logged.
    public var scale: (range: ClosedRange<Double>, label: String)? = nil

    static let rowHeight = 14.0
    static let margin = (left: 190.0, right: 18.0, top: 34.0, bottom: 64.0)

    public init(title: String, xLabel: String = "iteration") {
        self.title = title
        self.xLabel = xLabel
    }

    /// The column spans: `[from, to]` iteration ranges that together cover first...last.
    func columns() -> [ClosedRange<Int>] {
        let iterations = rows.flatMap { $0.values.map(\.iteration) }
        guard let first = iterations.min(), let last = iterations.max() else { return [] }
        let distinct = Set(iterations).sorted()
        if distinct.count <= maxColumns { return distinct.map { $0...$0 } }
        let span = Double(last - first + 1) / Double(maxColumns)
        return (0..<maxColumns).compactMap { c in
            let from = first + Int((Double(c) * span).rounded(.down))
            let to = c == maxColumns - 1 ? last : first + Int((Double(c + 1) * span).rounded(.down)) - 1
            return from <= to ? from...to : nil
        }
    }

    /// Where a value lies on the colour scale, 0 to 1.
    func shade(_ value: Double) -> Double {
        guard let range = scale?.range else { return value }
        let width = range.upperBound - range.lowerBound
        return width > 0 ? (value - range.lowerBound) / width : 0.5
    }

    /// A value as the tooltip and legend show it.
    func shown(_ value: Double) -> String {
        scale == nil ? "\(format(value * 100, 1))%" : String(format: "%.4g", value)
    }

    /// White at 0, dark green (#00441b) at 1, through ColorBrewer's Greens.
    public static func color(_ value: Double) -> String {
        let stops: [(Double, (Double, Double, Double))] = [
            (0, (247, 252, 245)), (0.25, (199, 233, 192)), (0.5, (116, 196, 118)), (0.75, (35, 139, 69)), (1, (0, 68, 27)),
        ]
        let v = min(1, max(0, value.isFinite ? value : 0))
        var k = 0
        while k < stops.count - 2 && v > stops[k + 1].0 { k += 1 }
        let (a, ca) = stops[k], (b, cb) = stops[k + 1]
        let f = (v - a) / (b - a)
        func mix(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
        return String(format: "#%02x%02x%02x", mix(ca.0, cb.0), mix(ca.1, cb.1), mix(ca.2, cb.2))
    }

    public func svg() -> String {
        let m = Self.margin
        let spans = columns()
        let plotWidth = Double(width) - m.left - m.right
        let plotHeight = Double(rows.count) * Self.rowHeight
        let height = m.top + plotHeight + m.bottom
        let cellWidth = plotWidth / Double(max(spans.count, 1))
        func n(_ x: Double) -> String { SVGChart.n(x) }

        var out = SVGChart.openSVG(class: "chart heatmap", width: width, height: height, title: title)
        out += "<text class=\"chart-title\" x=\"\(n(m.left))\" y=\"20\">\(HTMLText.escape(title))</text>\n"
        out += "<g class=\"data\">\n"
        for (r, row) in rows.enumerated() {
            let y = m.top + Double(r) * Self.rowHeight
            out += "<text class=\"tick y-tick\" x=\"\(n(m.left - 6))\" y=\"\(n(y + Self.rowHeight - 3))\">\(HTMLText.escape(row.task))</text>\n"
            var start = 0
            let values = row.values.sorted { $0.iteration < $1.iteration }
            for (c, span) in spans.enumerated() {
                while start < values.count && values[start].iteration < span.lowerBound { start += 1 }
                var end = start
                while end < values.count && values[end].iteration <= span.upperBound { end += 1 }
                let inSpan = values[start..<end].map(\.value).filter(\.isFinite)
                let x = m.left + Double(c) * cellWidth
                let iterations = span.lowerBound == span.upperBound ? "iteration \(span.lowerBound)"
                    : "iterations \(span.lowerBound)–\(span.upperBound)"
                out += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(cellWidth + 0.05))\" height=\"\(n(Self.rowHeight - 1))\""
                out += " data-task=\"\(HTMLText.escape(row.task))\" data-from=\"\(span.lowerBound)\" data-to=\"\(span.upperBound)\""
                if inSpan.isEmpty {
                    out += " fill=\"#d9d9de\"><title>\(HTMLText.escape(row.task)), \(iterations): no value</title></rect>\n"
                } else {
                    let mean = inSpan.reduce(0, +) / Double(inSpan.count)
                    let tip = "\(row.task), \(iterations): \(shown(mean))" + (inSpan.count > 1 ? " (mean of \(inSpan.count))" : "")
                    out += " data-value=\"\(mean)\" fill=\"\(Self.color(shade(mean)))\"><title>\(HTMLText.escape(tip))</title></rect>\n"
                }
            }
        }
        out += "</g>\n"
        // The x axis: the first and last iteration and a few in between, at their columns.
        let axisY = m.top + plotHeight
        out += "<path class=\"axis\" d=\"M\(n(m.left)) \(n(axisY))H\(n(m.left + plotWidth))\"/>\n"
        if !spans.isEmpty {
            let ticks = Set(stride(from: 0, to: spans.count, by: max(1, spans.count / 8)).map { $0 } + [spans.count - 1]).sorted()
            for c in ticks {
                let x = m.left + (Double(c) + 0.5) * cellWidth
                out += "<text class=\"tick x-tick\" x=\"\(n(x))\" y=\"\(n(axisY + 14))\">\(spans[c].lowerBound)</text>\n"
            }
        }
        out += "<text class=\"axis-label\" x=\"\(n(m.left + plotWidth / 2))\" y=\"\(n(axisY + 32))\">\(HTMLText.escape(xLabel))</text>\n"
        // The colour scale: 0%, 50%, 100%.
        let legendY = axisY + 42
        for k in 0...10 {
            let v = Double(k) / 10
            out += "<rect x=\"\(n(m.left + Double(k) * 16))\" y=\"\(n(legendY))\" width=\"16\" height=\"10\" fill=\"\(Self.color(v))\"/>"
        }
        let legend = scale.map { "\(shown($0.range.lowerBound)) → \(shown($0.range.upperBound)) \($0.label)" } ?? "0% → 100% success"
        out += "\n<text class=\"tick\" x=\"\(n(m.left + 180))\" y=\"\(n(legendY + 9))\">\(HTMLText.escape(legend))</text>\n"
        out += "</svg>"
        return out
    }
}
