import Foundation

/// A linear axis: a data interval widened to "nice" round ends, its tick values, and the labels
/// people read (`0`, `50k`, `1.5M`, `0.25`, `60%`).
///
/// ```swift
/// let axis = AxisScale(min: 3, max: 97)
/// axis.ticks                          // [0, 20, 40, 60, 80, 100]
/// axis.label(axis.ticks[1])           // "20"
/// AxisScale(min: 0, max: 1_200_000).ticks.map(axis.label)   // ["0", "200k", …, "1.2M"]
/// ```
///
/// Steps are 1, 2, 2.5 or 5 × 10ⁿ, chosen so there are about `targetTicks` ticks. A flat range is
/// widened around its value so the line sits in the middle.
public struct AxisScale: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    public let step: Double
    public let percent: Bool

    /// - Parameters:
    ///   - tight: keep the data's own ends instead of rounding them out to a tick (x-axes, so
    ///     the curves use the whole width); ticks are then the round values inside.
    ///   - bounds: never extend past these (success rates stay within 0…1).
    public init(min: Double, max: Double, targetTicks: Int = 5, percent: Bool = false, tight: Bool = false,
                clampTo bounds: ClosedRange<Double>? = nil) {
        var low = min.isFinite ? min : 0
        var high = max.isFinite ? max : 1
        if high < low { swap(&low, &high) }
        if high - low < 1e-12 * Swift.max(1, abs(high)) {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        let step = Self.niceStep((high - low) / Double(Swift.max(1, targetTicks)))
        var lower = tight ? low : (low / step).rounded(.down) * step
        var upper = tight ? high : (high / step).rounded(.up) * step
        if let bounds {
            lower = Swift.max(lower, bounds.lowerBound)
            upper = Swift.min(upper, bounds.upperBound)
        }
        self.lower = lower
        self.upper = upper
        self.step = step
        self.percent = percent
    }

    /// The tick values from `lower` to `upper`.
    public var ticks: [Double] {
        var values: [Double] = []
        var i = (lower / step).rounded(.up)
        while i * step <= upper + step * 1e-9 {
            values.append(abs(i * step) < step * 1e-9 ? 0 : i * step)
            i += 1
        }
        return values
    }

    /// Where `value` falls between `lower` (0) and `upper` (1).
    public func fraction(_ value: Double) -> Double { (value - lower) / (upper - lower) }

    public func label(_ value: Double) -> String {
        percent ? Self.trimmed(value * 100, step: step * 100) + "%" : Self.compact(value, step: step)
    }

    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let exponent = (log10(rough)).rounded(.down)
        let base = pow(10, exponent)
        let fraction = rough / base
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10
        return nice * base
    }

    /// `1.5M`, `250k`, `0.05`, `1e-4`: as few digits as the step needs.
    static func compact(_ value: Double, step: Double) -> String {
        let magnitude = abs(value)
        if value == 0 { return "0" }
        if magnitude >= 1e9 { return trimmed(value / 1e9, step: step / 1e9) + "G" }
        if magnitude >= 1e6 { return trimmed(value / 1e6, step: step / 1e6) + "M" }
        if magnitude >= 1e4 { return trimmed(value / 1e3, step: step / 1e3) + "k" }
        if magnitude < 1e-3 {
            let text = String(format: "%.1e", value)
            return text.replacingOccurrences(of: ".0e", with: "e").replacingOccurrences(of: "e-0", with: "e-")
        }
        return trimmed(value, step: step)
    }

    /// `value` with as many decimals as `step` needs (at most 6), no trailing zeros.
    static func trimmed(_ value: Double, step: Double) -> String {
        var decimals = 0
        var s = step
        while decimals < 6 && abs(s - s.rounded()) > 1e-9 * Swift.max(1, abs(s)) {
            s *= 10
            decimals += 1
        }
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}
