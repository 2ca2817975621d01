/// The activations as types, for kernels that apply one inside their loops.
///
/// A kernel generic over `A: VectorActivation` is specialised per activation with `A`'s vector code
/// inlined into its loop. Passing the activation as a closure instead left the closure out of line
/// (the sigmoid inside makes it too large for the inliner): one call per 16 values, with the vector
/// passed through memory (docs/results/speed.md, "Where FlowTune's time goes").
///
/// Each activation's arithmetic is written exactly as in `Elementwise.swift`, so fused kernels give
/// the bits of the unfused ops.
protocol VectorActivation {
    /// `act(s)`.
    static func value(_ s: Kernels.V) -> Kernels.V
    /// `g·act'(s)` from the pre-activation `s` and the output `y`, as the op's own backward rule
    /// multiplies (left to right: `g · …`).
    static func gradient(_ g: Kernels.V, _ s: Kernels.V, _ y: Kernels.V) -> Kernels.V
    /// `act'(s)` alone: the fused linear layer multiplies the gradient by it afterwards,
    /// `g · act'(s)` (its order since it was written; a different rounding from `gradient`'s).
    static func derivative(_ s: Kernels.V, _ y: Kernels.V) -> Kernels.V
}

extension VectorActivation {
    /// `g · act'(s)`: the backward rules of identity, ReLU, GELU and tanh multiply in this order;
    /// SiLU's and sigmoid's multiply `g` into the first factor of the derivative, so they say so.
    @_transparent static func gradient(_ g: Kernels.V, _ s: Kernels.V, _ y: Kernels.V) -> Kernels.V {
        g * derivative(s, y)
    }
}

enum IdentityActivation: VectorActivation {
    @_transparent static func value(_ s: Kernels.V) -> Kernels.V { s }
    @_transparent static func derivative(_ s: Kernels.V, _ y: Kernels.V) -> Kernels.V { Kernels.V(repeating: 1) }
}

enum ReLUActivation: VectorActivation {
    @_transparent static func value(_ s: Kernels.V) -> Kernels.V { s.replacing(with: 0, where: s .< 0) }
    @_transparent static func derivative(_ s: Kernels.V, _ y: Kernels.V) -> Kernels.V {
        Kernels.V(repeating: 0).replacing(with: 1, where: s .> 0)
    }
}

enum SiLUActivation: VectorActivation {
    @_transparent static func value(_ s: Kernels.V) -> Kernels.V { s * Kernels.sigmoid(s) }
    @_transparent static func gradient(_ g: Kernels.V, _ s: Kernels.V, _ y: Kernels.V) -> Kernels.V {
        let sg = Kernels.sigmoid(s)
        return g * sg * (1 + s * (1 - sg))
    }
    @_transparent static func derivative(_ s: Kernels.V, _ y: Kernels.V) -> Kernels.V {
        let sg = Kernels.sigmoid(s)
        return sg * (1 + s * (1 - sg))
    }
}

enum GELUActivation: VectorActivation {
    @_transparent static func value(_ s: Kernels.V) -> Kernels.V { Kernels.gelu(s) }
    @_transparent static func derivative(_ s: Kernels.V, _ y: Kernels.V) -> Kernels.V { Kernels.geluDerivative(s) }
}

enum TanhActivation: VectorActivation {
    @_transparent static func value(_ s: Kernels.V) -> Kernels.V { Kernels.tanh(s) }
    @_transparent static func derivative(_ s: Kernels.V, _ y: Kernels.V) -> Kernels.V { 1 - y * y }
}

enum SigmoidActivation: VectorActivation {
    @_transparent static func value(_ s: Kernels.V) -> Kernels.V { Kernels.sigmoid(s) }
    @_transparent static func gradient(_ g: Kernels.V, _ s: Kernels.V, _ y: Kernels.V) -> Kernels.V { g * y * (1 - y) }
    @_transparent static func derivative(_ s: Kernels.V, _ y: Kernels.V) -> Kernels.V { y * (1 - y) }
}

extension Kernels {
    /// `out[i] = A.value(x[i])`: whole vectors inline, the padded tail out of line (one loop for
    /// both made the compiler scalarise the activation).
    @inline(__always)
    static func activate<A: VectorActivation>(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
                                              _: A.Type) {
        var i = 0
        while i + 16 <= n {
            store(A.value(load(x + i)), out + i)
            i += 16
        }
        if i < n { activateTail(x + i, out + i, n - i, A.self) }
    }

    @inline(never)
    static func activateTail<A: VectorActivation>(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
                                                  _: A.Type) {
        var t = V()
        for j in 0..<n { t[j] = x[j] }
        let r = A.value(t)
        for j in 0..<n { out[j] = r[j] }
    }

    /// `out[i] = g[i] · A.derivative(s[i], y[i])` (a linear layer's backward through its activation).
    @inline(__always)
    static func activationBackward<A: VectorActivation>(_ g: UnsafePointer<Float>, _ s: UnsafePointer<Float>,
                                                        _ y: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                                        _ n: Int, _: A.Type) {
        var i = 0
        while i + 16 <= n {
            store(load(g + i) * A.derivative(load(s + i), load(y + i)), out + i)
            i += 16
        }
        if i < n { activationBackwardTail(g + i, s + i, y + i, out + i, n - i, A.self) }
    }

    @inline(never)
    static func activationBackwardTail<A: VectorActivation>(_ g: UnsafePointer<Float>, _ s: UnsafePointer<Float>,
                                                            _ y: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                                            _ n: Int, _: A.Type) {
        var tg = V(), ts = V(), ty = V()
        for j in 0..<n { tg[j] = g[j]; ts[j] = s[j]; ty[j] = y[j] }
        let r = tg * A.derivative(ts, ty)
        for j in 0..<n { out[j] = r[j] }
    }
}
