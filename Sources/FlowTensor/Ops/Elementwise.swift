#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Unary elementwise functions and their derivatives.
extension Tensor {
    /// Applies `vector`/`scalar` elementwise (same function, SIMD body and scalar tail).
    func mapElements(_ vector: (SIMD16<Float>) -> SIMD16<Float>, _ scalar: (Float) -> Float) -> Tensor {
        let src = storage.pointer
        return Tensor.filled(shape: shape) { Kernels.map(src, $0.baseAddress!, count, vector, scalar) }
    }

    /// Applies a scalar function elementwise (for functions without a vector form, e.g. libm's `erf`).
    func mapScalars(_ f: (Float) -> Float) -> Tensor {
        let src = storage.pointer
        return Tensor.filled(shape: shape) { o in for i in 0..<o.count { o[i] = f(src[i]) } }
    }

    public func exp() -> Tensor {
        let y = mapElements({ Kernels.exp($0) }, { Kernels.exp($0) })
        let yv = y.detached()
        return Tensor.result(y, input: self) { g in g * yv }
    }

    public func log() -> Tensor {
        let y = mapScalars { Glibc.logf($0) }
        let xv = detached()
        return Tensor.result(y, input: self) { g in g / xv }
    }

    public func sqrt() -> Tensor {
        let y = mapElements({ $0.squareRoot() }, { $0.squareRoot() })
        let yv = y.detached()
        return Tensor.result(y, input: self) { g in g / (2 * yv) }
    }

    public func square() -> Tensor {
        let y = mapElements({ $0 * $0 }, { $0 * $0 })
        let xv = detached()
        return Tensor.result(y, input: self) { g in g * (2 * xv) }
    }

    public func abs() -> Tensor {
        let y = mapElements({ SIMD16<Float>.abs($0) }, { Swift.abs($0) })
        let sign = mapElements({ SIMD16<Float>(repeating: 1).replacing(with: -1, where: $0 .< 0)
                                     .replacing(with: 0, where: $0 .== 0) },
                               { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) })
        return Tensor.result(y, input: self) { g in g * sign }
    }

    public func tanh() -> Tensor {
        let y = mapElements({ Kernels.tanh($0) }, { Kernels.tanh($0) })
        let yv = y.detached()
        return Tensor.result(y, input: self) { g in g * (1 - yv * yv) }
    }

    public func sigmoid() -> Tensor {
        let y = mapElements({ Kernels.sigmoid($0) }, { Kernels.sigmoid($0) })
        let yv = y.detached()
        return Tensor.result(y, input: self) { g in g * yv * (1 - yv) }
    }

    public func relu() -> Tensor {
        let y = mapElements({ $0.replacing(with: 0, where: $0 .< 0) }, { Swift.max($0, 0) })
        let mask = mapElements({ SIMD16<Float>(repeating: 0).replacing(with: 1, where: $0 .> 0) }, { $0 > 0 ? 1 : 0 })
        return Tensor.result(y, input: self) { g in g * mask }
    }

    /// `x·σ(x)` (SiLU / swish).
    public func silu() -> Tensor {
        let s = mapElements({ Kernels.sigmoid($0) }, { Kernels.sigmoid($0) })
        let xv = detached()
        let y = xv * s
        return Tensor.result(y, input: self) { g in g * s * (1 + xv * (1 - s)) }
    }

    /// Exact GELU, `x·Φ(x) = ½x(1 + erf(x/√2))` (PyTorch's default, not the tanh approximation).
    public func gelu() -> Tensor {
        let xv = detached()
        let y = mapScalars { x in 0.5 * x * (1 + erff(x * 0.70710678118654752)) }
        return Tensor.result(y, input: self) { g in
            let d = xv.mapScalars { x in
                0.5 * (1 + erff(x * 0.70710678118654752)) + x * 0.3989422804014327 * Glibc.expf(-0.5 * x * x)
            }
            return g * d
        }
    }

    /// `log(1 + eˣ)`, computed as `max(x, 0) + log1p(e^{−|x|})` so it never overflows.
    public func softplus() -> Tensor {
        let xv = detached()
        let y = mapScalars { x in Swift.max(x, 0) + log1pf(Glibc.expf(-Swift.abs(x))) }
        return Tensor.result(y, input: self) { g in g * xv.sigmoid() }
    }

    /// Values limited to `[low, high]`; the gradient is zero where the limit is active.
    public func clamped(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        let lo = SIMD16<Float>(repeating: low), hi = SIMD16<Float>(repeating: high)
        let y = mapElements({ $0.clamped(lowerBound: lo, upperBound: hi) }, { Swift.min(Swift.max($0, low), high) })
        let pass = mapElements({ SIMD16<Float>(repeating: 0).replacing(with: 1, where: ($0 .>= lo) .& ($0 .<= hi)) },
                               { $0 >= low && $0 <= high ? 1 : 0 })
        return Tensor.result(y, input: self) { g in g * pass }
    }

    /// Straight-through clamp: the forward value is limited to `[low, high]`, the gradient passes as
    /// if it were the identity (FPO++'s log-ratio clamp, ALGORITHMS.md §4.2).
    public func clampedStraightThrough(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        let lo = SIMD16<Float>(repeating: low), hi = SIMD16<Float>(repeating: high)
        let y = mapElements({ $0.clamped(lowerBound: lo, upperBound: hi) }, { Swift.min(Swift.max($0, low), high) })
        return Tensor.result(y, input: self) { g in g }
    }

    /// `self^p` elementwise for a constant exponent (via exp/log for non-integer p; x > 0 there).
    public func pow(_ p: Float) -> Tensor {
        if p == 2 { return square() }
        if p == 1 { return self }
        let xv = detached()
        let y = mapScalars { Glibc.powf($0, p) }
        return Tensor.result(y, input: self) { g in g * (p * xv.mapScalars { Glibc.powf($0, p - 1) }) }
    }
}
