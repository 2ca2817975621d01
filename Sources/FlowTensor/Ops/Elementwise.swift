#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Unary elementwise functions and their derivatives.
extension Tensor {
    /// Applies a vector function elementwise (the tail too, so position never changes a value).
    func mapElements(_ f: (SIMD16<Float>) -> SIMD16<Float>) -> Tensor {
        let src = storage.pointer
        return Tensor.filled(shape: shape) { Kernels.map(src, $0.baseAddress!, count, f) }
    }

    /// Applies a scalar function elementwise (for functions without a vector form, e.g. libm's `erf`).
    func mapScalars(_ f: (Float) -> Float) -> Tensor {
        let src = storage.pointer
        return Tensor.filled(shape: shape) { o in for i in 0..<o.count { o[i] = f(src[i]) } }
    }

    public func exp() -> Tensor {
        let y = mapElements({ Kernels.exp($0) })
        let yv = y.detached()
        return Tensor.result(y, input: self) { g in g * yv }
    }

    public func log() -> Tensor {
        let y = mapScalars { Glibc.logf($0) }
        let xv = detached()
        return Tensor.result(y, input: self) { g in g / xv }
    }

    public func sqrt() -> Tensor {
        let y = mapElements(Kernels.squareRoot)
        let yv = y.detached()
        return Tensor.result(y, input: self) { g in g / (2 * yv) }
    }

    public func square() -> Tensor {
        let y = mapElements({ $0 * $0 })
        let xv = detached()
        return Tensor.result(y, input: self) { g in g * (2 * xv) }
    }

    public func abs() -> Tensor {
        let y = mapElements({ SIMD16<Float>.abs($0) })
        let sign = mapElements({ SIMD16<Float>(repeating: 1).replacing(with: -1, where: $0 .< 0)
                                     .replacing(with: 0, where: $0 .== 0) })
        return Tensor.result(y, input: self) { g in g * sign }
    }

    public func tanh() -> Tensor {
        let y = mapElements({ Kernels.tanh($0) })
        let yv = y.detached()
        return Tensor.result(y, input: self) { g in g * (1 - yv * yv) }
    }

    public func sigmoid() -> Tensor {
        let y = mapElements({ Kernels.sigmoid($0) })
        let yv = y.detached()
        return Tensor.result(y, input: self) { g in g * yv * (1 - yv) }
    }

    public func relu() -> Tensor {
        let y = mapElements({ $0.replacing(with: 0, where: $0 .< 0) })
        let mask = mapElements({ SIMD16<Float>(repeating: 0).replacing(with: 1, where: $0 .> 0) })
        return Tensor.result(y, input: self) { g in g * mask }
    }

    /// `x·σ(x)` (SiLU / swish).
    public func silu() -> Tensor {
        let s = mapElements({ Kernels.sigmoid($0) })
        let xv = detached()
        let y = xv * s
        return Tensor.result(y, input: self) { g in g * s * (1 + xv * (1 - s)) }
    }

    /// Exact GELU, `x·Φ(x) = ½x(1 + erf(x/√2))` (PyTorch's default, not the tanh approximation).
    public func gelu() -> Tensor {
        let xv = detached()
        let y = mapElements({ Kernels.gelu($0) })
        return Tensor.result(y, input: self) { g in g * xv.geluDerivative() }
    }

    /// `Φ(x) + x·φ(x)`, the derivative of GELU (untracked).
    func geluDerivative() -> Tensor {
        mapElements({ Kernels.geluDerivative($0) })
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
        let y = mapElements({ Kernels.clamp($0, lo, hi) })
        let pass = mapElements({ SIMD16<Float>(repeating: 0).replacing(with: 1, where: ($0 .>= lo) .& ($0 .<= hi)) })
        return Tensor.result(y, input: self) { g in g * pass }
    }

    /// Straight-through clamp: the forward value is limited to `[low, high]`, the gradient passes as
    /// if it were the identity (FPO++'s log-ratio clamp, docs/algorithms.md §4.2).
    public func clampedStraightThrough(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        let lo = SIMD16<Float>(repeating: low), hi = SIMD16<Float>(repeating: high)
        let y = mapElements({ Kernels.clamp($0, lo, hi) })
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
