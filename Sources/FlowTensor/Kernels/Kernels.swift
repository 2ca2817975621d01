#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Elementwise loops over raw buffers, vectorised with `SIMD16<Float>` where the math allows.
/// Every op in `Ops/` computes through these, so forward passes at rollout and at update time run the
/// same instructions (ALGORITHMS.md §7: ratios must be exactly 1 at the first minibatch).
public enum Kernels {
    public typealias V = SIMD16<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// `out[i] = f(x[i])` with a vector body and a scalar tail.
    @inline(__always)
    static func map(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
                    _ vector: (V) -> V, _ scalar: (Float) -> Float) {
        var i = 0
        while i + 16 <= n {
            store(vector(load(x + i)), out + i)
            i += 16
        }
        while i < n { out[i] = scalar(x[i]); i += 1 }
    }

    /// `out[i] = f(x[i], y[i])` with a vector body and a scalar tail.
    @inline(__always)
    static func zip(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
                    _ vector: (V, V) -> V, _ scalar: (Float, Float) -> Float) {
        var i = 0
        while i + 16 <= n {
            store(vector(load(x + i), load(y + i)), out + i)
            i += 16
        }
        while i < n { out[i] = scalar(x[i], y[i]); i += 1 }
    }

    /// `x[i] += y[i]`.
    public static func addInPlace(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) {
        zip(x, y, x, n, { $0 + $1 }, { $0 + $1 })
    }

    // MARK: exp

    /// Vectorised `exp` (Cephes-style: range reduction by ln 2 split in two parts, degree-6
    /// polynomial, exponent by bit construction). Max relative error ≈ 2 ulp over the finite range;
    /// overflows to +inf above 88.72, underflows to 0 below -87.33 (no subnormal results), NaN stays NaN.
    @inline(__always)
    public static func exp(_ x: V) -> V {
        let hi = V(repeating: 88.72283)
        let lo = V(repeating: -87.33654)
        let overflow = x .> hi
        let underflow = x .< lo
        let xc = x.clamped(lowerBound: lo, upperBound: hi)
        let fx = (xc * 1.442695040888963).rounded(.toNearestOrEven)
        var r = xc - fx * 0.693359375
        r = r - fx * -2.12194440e-4
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let r2 = r * r
        var y = p * r2 + r + 1
        // 2^n; n is in [-126, 128]: split in two factors so n = 128 and n = -126 stay representable.
        let n = SIMD16<Int32>(fx, rounding: .towardZero)
        let n1 = n &>> 1
        let n2 = n &- n1
        let f1 = V(bitPattern: SIMD16<UInt32>(truncatingIfNeeded: (n1 &+ 127) &<< 23))
        let f2 = V(bitPattern: SIMD16<UInt32>(truncatingIfNeeded: (n2 &+ 127) &<< 23))
        y = y * f1 * f2
        y.replace(with: .infinity, where: overflow)
        y.replace(with: 0, where: underflow)
        y.replace(with: x, where: x .!= x)  // NaN in, NaN out
        return y
    }

    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        var v = V(repeating: 0)
        v[0] = x
        return exp(v)[0]
    }

    /// `1 / (1 + e^{-x})`, computed without overflow for large |x|.
    @inline(__always)
    public static func sigmoid(_ x: V) -> V {
        let e = exp(-abs(x))  // in (0, 1]
        let pos = 1 / (1 + e)
        var out = e * pos  // = e/(1+e) = sigmoid(-|x|)
        out.replace(with: pos, where: x .>= 0)
        return out
    }

    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        let e = exp(-Swift.abs(x))
        let pos = 1 / (1 + e)
        return x >= 0 ? pos : e * pos
    }

    /// `tanh(x) = sign(x)·(1 − e)/(1 + e)` with `e = exp(−2|x|)`; odd polynomial below |x| < 0.04
    /// where the subtraction would cancel.
    @inline(__always)
    public static func tanh(_ x: V) -> V {
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

    @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        var v = V(repeating: 0)
        v[0] = x
        return tanh(v)[0]
    }
}

extension SIMD16 where Scalar == Float {
    @inline(__always) static func abs(_ v: Self) -> Self { Self(bitPattern: v.bitPattern & 0x7FFF_FFFF) }
    @inline(__always) var bitPattern: SIMD16<UInt32> { unsafeBitCast(self, to: SIMD16<UInt32>.self) }
    @inline(__always) init(bitPattern: SIMD16<UInt32>) { self = unsafeBitCast(bitPattern, to: Self.self) }
}

@inline(__always) func abs(_ v: SIMD16<Float>) -> SIMD16<Float> { SIMD16<Float>.abs(v) }
