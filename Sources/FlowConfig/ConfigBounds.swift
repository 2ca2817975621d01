/// The allowed range of a numeric config field, with the words an error message uses for it.
///
/// ```swift
/// ConfigBounds<Double>.within(0...1).description       // "between 0 and 1"
/// ConfigBounds<Int>.atLeast(1).contains(0)             // false
/// ConfigBounds<Double>.greaterThan(0).description      // "greater than 0"
/// ```
///
/// NaN is outside every range (every comparison with it is false).
public struct ConfigBounds<Value: Comparable & Sendable>: Sendable, CustomStringConvertible {
    public var lower: Value?
    public var lowerInclusive: Bool
    public var upper: Value?
    public var upperInclusive: Bool

    public init(lower: Value?, lowerInclusive: Bool = true, upper: Value?, upperInclusive: Bool = true) {
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
    }

    /// `value ≥ bound`.
    public static func atLeast(_ bound: Value) -> Self { Self(lower: bound, upper: nil) }
    /// `value > bound`.
    public static func greaterThan(_ bound: Value) -> Self { Self(lower: bound, lowerInclusive: false, upper: nil) }
    /// `value ≤ bound`.
    public static func atMost(_ bound: Value) -> Self { Self(lower: nil, upper: bound) }
    /// `range.lowerBound ≤ value ≤ range.upperBound`.
    public static func within(_ range: ClosedRange<Value>) -> Self {
        Self(lower: range.lowerBound, upper: range.upperBound)
    }
    /// `lower < value ≤ upper`.
    public static func above(_ lower: Value, atMost upper: Value) -> Self {
        Self(lower: lower, lowerInclusive: false, upper: upper)
    }
    /// `lower ≤ value < upper`.
    public static func atLeast(_ lower: Value, below upper: Value) -> Self {
        Self(lower: lower, upper: upper, upperInclusive: false)
    }
    /// `lower < value < upper`.
    public static func strictlyBetween(_ lower: Value, _ upper: Value) -> Self {
        Self(lower: lower, lowerInclusive: false, upper: upper, upperInclusive: false)
    }

    public func contains(_ value: Value) -> Bool {
        if let lower {
            guard lowerInclusive ? value >= lower : value > lower else { return false }
        }
        if let upper {
            guard upperInclusive ? value <= upper : value < upper else { return false }
        }
        // Rejects NaN, for which both comparisons above can be skipped when a side is open-ended.
        return value == value
    }

    public var description: String {
        switch (lower, upper) {
        case let (lower?, upper?):
            if lowerInclusive && upperInclusive { return "between \(Self.text(lower)) and \(Self.text(upper))" }
            let low = lowerInclusive ? "at least \(Self.text(lower))" : "greater than \(Self.text(lower))"
            let high = upperInclusive ? "at most \(Self.text(upper))" : "less than \(Self.text(upper))"
            return "\(low) and \(high)"
        case let (lower?, nil):
            return lowerInclusive ? "at least \(Self.text(lower))" : "greater than \(Self.text(lower))"
        case let (nil, upper?):
            return upperInclusive ? "at most \(Self.text(upper))" : "less than \(Self.text(upper))"
        case (nil, nil):
            return "any value"
        }
    }

    /// Numbers without a needless `.0`: `1`, `0.5`, `1e-05`.
    static func text(_ value: Value) -> String {
        if let double = value as? Double, double.rounded() == double, abs(double) < 1e15 {
            return String(Int(double))
        }
        return "\(value)"
    }
}
