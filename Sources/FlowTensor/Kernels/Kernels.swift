#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Elementwise loops over raw buffers, vectorised with `SIMD16<Float>` where the math allows.
/// Every op in `Ops/` computes through these, so forward passes at rollout and at update time run the
/// same instructions (docs/algorithms.md §7: ratios must be exactly 1 at the first minibatch).
public enum Kernels {
    public typealias V = SIMD16<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// `out[i] = f(x[i])`. The tail shorter than one vector goes through the same vector function
    /// (padded with zeros), so every element is computed by the same instructions whatever its
    /// position and the buffer's length: a value never depends on the batch it was computed in.
    @inline(__always)
    static func map(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int, _ f: (V) -> V) {
        var i = 0
        while i + 16 <= n {
            store(f(load(x + i)), out + i)
            i += 16
        }
        if i < n {
            var tail = V()
            for j in 0..<(n - i) { tail[j] = x[i + j] }
            let r = f(tail)
            for j in 0..<(n - i) { out[i + j] = r[j] }
        }
    }

    /// `out[i] = f(x[i], y[i])`, with the tail computed by the same vector function.
    @inline(__always)
    static func zip(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
                    _ f: (V, V) -> V) {
        var i = 0
        while i + 16 <= n {
            store(f(load(x + i), load(y + i)), out + i)
            i += 16
        }
        if i < n {
            var tx = V(), ty = V()
            for j in 0..<(n - i) { tx[j] = x[i + j]; ty[j] = y[i + j] }
            let r = f(tx, ty)
            for j in 0..<(n - i) { out[i + j] = r[j] }
        }
    }

    /// One element through a vector function (for scalar call sites that must agree with `map`).
    @inline(__always)
    static func scalar(_ x: Float, _ f: (V) -> V) -> Float {
        var v = V()
        v[0] = x
        return f(v)[0]
    }

    /// `x[i] += y[i]`.
    public static func addInPlace(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) {
        zip(x, y, x, n, { $0 + $1 })
    }

    /// Whether every one of the `n` values is finite (no NaN, no ±∞): 16 values at a time, by
    /// their exponent bits (all ones for NaN and ±∞). A scalar `allSatisfy(\.isFinite)` was 2% of
    /// a PPO minibatch step (docs/results/speed.md, "Where FlowTune's time goes").
    public static func allFinite(_ x: UnsafePointer<Float>, _ n: Int) -> Bool {
        let exponent = SIMD16<UInt32>(repeating: 0x7F80_0000)
        var seen = SIMD16<UInt32>()
        var i = 0
        while i + 16 <= n {
            // OR of the exponent fields cannot tell "some lane all ones" from mixed lanes, so
            // keep a per-lane flag: all ones exactly where the exponent is all ones.
            let e = load(x + i).bitPattern & exponent
            seen |= SIMD16<UInt32>(repeating: 0).replacing(with: 1, where: e .== exponent)
            i += 16
        }
        if seen != SIMD16<UInt32>() { return false }
        while i < n {
            if !x[i].isFinite { return false }
            i += 1
        }
        return true
    }

    // MARK: exp

    /// Vectorised `exp` (Cephes-style: range reduction by ln 2 split in two parts, degree-6
    /// polynomial, exponent by bit construction). Max relative error ≈ 2 ulp over the normal range.
    /// The input is clamped to [−104, 89] and 2ⁿ is applied as two factors 2^⌊n/2⌋·2^⌈n/2⌉, so large
    /// inputs overflow to +inf and small ones underflow through subnormals to 0 by ordinary float
    /// rounding, without per-lane branches. NaN stays NaN.
    @_transparent
    static func exp(_ x: V) -> V {
        let xc = clamp(x, V(repeating: -104), V(repeating: 89))
        // n = round(x/ln2) by the magic-number trick: adding 1.5·2²³ leaves n in the low mantissa bits.
        let magic = V(repeating: 12_582_912)
        let t = xc * 1.442695040888963 + magic
        let fx = t - magic
        var r = xc - fx * 0.693359375
        r = r - fx * -2.12194440e-4
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        var y = p * (r * r) + r + 1
        let n = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let n1 = n &>> 1
        let n2 = n &- n1
        let f1 = unsafeBitCast((n1 &+ 127) &<< 23, to: V.self)
        let f2 = unsafeBitCast((n2 &+ 127) &<< 23, to: V.self)
        y = y * f1 * f2
        y.replace(with: x, where: x .!= x)  // NaN in, NaN out
        return y
    }

    /// Scalar `exp` through the vector code (bit-identical to the vector results).
    public static func exp(_ x: Float) -> Float { scalar(x) { exp($0) } }

    /// Each lane's correctly rounded square root (the bits of `Float.squareRoot()`), four lanes per
    /// SSE instruction. `Float.squareRoot()` and `SIMD16.squareRoot()` compile here to one scalar
    /// root per element with a branch kept for glibc's errno, which made AdamW's update 3× slower
    /// than its arithmetic needs (docs/results/speed.md, "Where FlowTune's time goes").
    @inline(__always)
    public static func squareRoot(_ x: V) -> V {
        #if arch(x86_64)
        var r = V()
        r.lowHalf.lowHalf = _mm_sqrt_ps(x.lowHalf.lowHalf)
        r.lowHalf.highHalf = _mm_sqrt_ps(x.lowHalf.highHalf)
        r.highHalf.lowHalf = _mm_sqrt_ps(x.highHalf.lowHalf)
        r.highHalf.highHalf = _mm_sqrt_ps(x.highHalf.highHalf)
        return r
        #else
        return x.squareRoot()
        #endif
    }

    /// `x` limited to `[lo, hi]` lane by lane with compare-and-blend (NaN passes through).
    /// `SIMD.clamped` is avoided on purpose: its NaN-aware min/max is scalarised by the compiler.
    @_transparent
    static func clamp(_ x: V, _ lo: V, _ hi: V) -> V {
        var y = x
        y.replace(with: lo, where: x .< lo)
        y.replace(with: hi, where: x .> hi)
        return y
    }

    /// `erf(x)` by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7, float32 precision):
    /// `erf(|x|) = 1 − (a₁t + a₂t² + a₃t³ + a₄t⁴ + a₅t⁵)·e^{−x²}`, `t = 1/(1 + p|x|)`, odd in x.
    @_transparent
    static func erf(_ x: V) -> V {
        let ax = abs(x)
        let t = 1 / (1 + 0.3275911 * ax)
        var poly = V(repeating: 1.061405429)
        poly = poly * t - 1.453152027
        poly = poly * t + 1.421413741
        poly = poly * t - 0.284496736
        poly = poly * t + 0.254829592
        let y = 1 - poly * t * exp(-(ax * ax))
        var out = y
        out.replace(with: -y, where: x .< 0)
        return out
    }

    /// Exact GELU `½x(1 + erf(x/√2))`.
    @_transparent
    static func gelu(_ x: V) -> V {
        0.5 * x * (1 + erf(x * 0.70710678118654752))
    }

    /// `d/dx GELU = Φ(x) + x·φ(x)`.
    @_transparent
    static func geluDerivative(_ x: V) -> V {
        0.5 * (1 + erf(x * 0.70710678118654752)) + x * 0.3989422804014327 * exp(-0.5 * x * x)
    }

    /// `1 / (1 + e^{-x})`, computed without overflow for large |x|.
    @_transparent
    static func sigmoid(_ x: V) -> V {
        let e = exp(-abs(x))  // in (0, 1]
        let pos = 1 / (1 + e)
        var out = e * pos  // = e/(1+e) = sigmoid(-|x|)
        out.replace(with: pos, where: x .>= 0)
        return out
    }

    /// Scalar sigmoid through the vector code.
    public static func sigmoid(_ x: Float) -> Float { scalar(x) { sigmoid($0) } }

    /// `tanh(x) = sign(x)·(1 − e)/(1 + e)` with `e = exp(−2|x|)`; odd polynomial below |x| < 0.04
    /// where the subtraction would cancel.
    @_transparent
    static func tanh(_ x: V) -> V {
        let ax = abs(x)
        let e = exp(-2 * ax)
        var t = (1 - e) / (1 + e)
        let x2 = x * x
        let small = ax * (1 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0)))
        t.replace(with: small, where: ax .< 0.04)
        var out = t
        out.replace(with: -t, where: x .< 0)
        out.replace(with: x, where: x .!= x)
        return out
    }

    /// Scalar tanh through the vector code.
    public static func tanh(_ x: Float) -> Float { scalar(x) { tanh($0) } }
}

extension SIMD16 where Scalar == Float {
    @inline(__always) static func abs(_ v: Self) -> Self { Self(bitPattern: v.bitPattern & 0x7FFF_FFFF) }
    @inline(__always) var bitPattern: SIMD16<UInt32> { unsafeBitCast(self, to: SIMD16<UInt32>.self) }
    @inline(__always) init(bitPattern: SIMD16<UInt32>) { self = unsafeBitCast(bitPattern, to: Self.self) }
}

@inline(__always) func abs(_ v: SIMD16<Float>) -> SIMD16<Float> { SIMD16<Float>.abs(v) }
