/// A seedable, splittable pseudo-random generator with no global state.
///
/// ```swift
/// var rng = RandomGenerator(seed: 42)
/// let u = rng.nextUniform()          // in [0, 1)
/// var child = rng.split(key: 7)      // an independent stream, derived deterministically
/// ```
///
/// The core is xoshiro256** (Blackman & Vigna), seeded through SplitMix64 so that nearby seeds give
/// unrelated streams. `split(key:)` derives a child stream from the parent's *current* state and a
/// key without advancing the parent, so a component can hand sub-streams to environments, samplers
/// and initialisers and get the same numbers whatever order they are consumed in.
/// The state is four `UInt64`s and is checkpointable through `state` / `init(state:)`.
public struct RandomGenerator: Sendable, Equatable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var sm = seed
        state = (Self.splitMix(&sm), Self.splitMix(&sm), Self.splitMix(&sm), Self.splitMix(&sm))
        if state == (0, 0, 0, 0) { state.0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// Restores a generator from a saved `state` (e.g. from a checkpoint).
    public init(state: [UInt64]) {
        precondition(state.count == 4, "RandomGenerator state has 4 words")
        self.state = (state[0], state[1], state[2], state[3])
        if self.state == (0, 0, 0, 0) { self.state.0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// The state as four words, for checkpoints.
    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    public static func == (lhs: RandomGenerator, rhs: RandomGenerator) -> Bool {
        lhs.state == rhs.state
    }

    @inline(__always)
    static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = Self.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Self.rotl(state.3, 45)
        return result
    }

    /// A child generator determined by this generator's current state and `key`; `self` is unchanged.
    public func split(key: UInt64) -> RandomGenerator {
        var h = state.0 ^ Self.rotl(state.1, 13) ^ Self.rotl(state.2, 29) ^ Self.rotl(state.3, 47)
        h ^= key &* 0xD605_BBB5_8C8A_BBD5
        _ = Self.splitMix(&h)
        return RandomGenerator(seed: Self.splitMix(&h) ^ key)
    }

    /// Uniform Float in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform Double in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextUniformDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform Float in [low, high).
    @inline(__always)
    public mutating func nextUniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUniform()
    }

    /// A uniformly random permutation of `0..<n` (Fisher–Yates from the back, one `nextInt` per
    /// position), so a shuffle drawn here is the same wherever it is drawn.
    public mutating func permutation(_ n: Int) -> [Int] {
        var order = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, nextInt(below: i + 1)) }
        return order
    }

    /// An integer uniform in `0..<bound` (Lemire's nearly-divisionless method, unbiased).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// A standard normal sample (Box–Muller in double precision; one pair member is discarded so that
    /// the generator carries no hidden cached value and its state alone determines the stream).
    @inline(__always)
    public mutating func nextNormal() -> Float {
        let u1 = 1.0 - nextUniformDouble()  // (0, 1]: log is finite
        let u2 = nextUniformDouble()
        return Float((-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2))
    }

    /// Fills `buffer` with standard normal samples, using both members of each Box–Muller pair.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, std: Float = 1) {
        var i = 0
        let n = buffer.count
        while i + 1 < n {
            let u1 = 1.0 - nextUniformDouble()
            let u2 = nextUniformDouble()
            let r = (-2.0 * _log(u1)).squareRoot()
            let theta = 2.0 * Double.pi * u2
            buffer[i] = mean + std * Float(r * _cos(theta))
            buffer[i + 1] = mean + std * Float(r * _sin(theta))
            i += 2
        }
        if i < n { buffer[i] = mean + std * nextNormal() }
    }

    /// Fills `buffer` with uniform samples in [low, high).
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, low: Float = 0, high: Float = 1) {
        for i in 0..<buffer.count { buffer[i] = nextUniform(low, high) }
    }

    /// `n` standard normal samples.
    public mutating func normals(_ n: Int, mean: Float = 0, std: Float = 1) -> [Float] {
        var out = [Float](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { fillNormal($0, mean: mean, std: std) }
        return out
    }

    /// A sample from Beta(α, β) (via two Gamma samples, Marsaglia–Tsang), used for π0's time sampling.
    public mutating func nextBeta(_ alpha: Double, _ beta: Double) -> Double {
        let x = nextGamma(alpha)
        let y = nextGamma(beta)
        return x / (x + y)
    }

    /// A sample from Gamma(shape, 1) (Marsaglia–Tsang; shape < 1 by the boosting identity).
    public mutating func nextGamma(_ shape: Double) -> Double {
        precondition(shape > 0, "Gamma shape must be positive")
        if shape < 1 {
            let u = 1.0 - nextUniformDouble()
            return nextGamma(shape + 1) * _pow(u, 1.0 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1.0 / (9.0 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = Double(nextNormal())
                v = 1.0 + c * x
            } while v <= 0
            v = v * v * v
            let u = 1.0 - nextUniformDouble()
            if _log(u) < 0.5 * x * x + d - d * v + d * _log(v) { return d * v }
        }
    }
}

// Foundation-free libm access keeps FlowTensor importable without Foundation in hot code.
#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Glibc.sin(x) }
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
#else
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Darwin.cos(x) }
@inline(__always) func _sin(_ x: Double) -> Double { Darwin.sin(x) }
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { Darwin.pow(x, y) }
#endif

extension RandomGenerator {
    /// `count × width` standard normals, zero outside the listed `rows`, row r filled from
    /// `generators[r]` alone: a row's values do not depend on which rows share the batch (the
    /// rollout's per-decision noise, docs/architecture.md, "The rollout pipeline").
    public static func rowNormals(_ generators: inout [RandomGenerator], rows: [Int], width: Int, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count * width)
        out.withUnsafeMutableBufferPointer { p in
            for r in rows { generators[r].fillNormal(UnsafeMutableBufferPointer(rebasing: p[(r * width)..<((r + 1) * width)])) }
        }
        return out
    }
}
