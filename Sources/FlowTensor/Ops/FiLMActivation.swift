/// FiLM modulation and the activation after it in one op:
///
///     y = act(x ⊙ (1 + γ) + β),   [γ, β] = p + q   (split along the last axis, γ first)
///
/// ```swift
/// let pq = obsProjection            // [N, 2w]: computed once per chunk
/// let y = filmActivation(z, modulation: pq, plus: timeProjection, activation: .silu)   // [N, w]
/// // equals: act(z * (1 + (pq + t)[..<w]) + (pq + t)[w...]) for t = timeProjection
/// ```
/// `x` is `[…, w]` with `N` rows, `p` is `N` rows of `2w` and `q` is either `N` rows of `2w` or one
/// row of `2w` shared by every row (a time projection at a step that all rows share).
///
/// Unfused, the chain is six elementwise ops (add, split, 1 + γ, ⊙, + β, act), each a full pass
/// with a fresh `[N, w]` or `[N, 2w]` tensor; here the forward is one pass writing only `y`, and the
/// backward is one pass writing `dx`, `dp` and (for a shared row) accumulating `dq = Σ_rows dp`.
/// Every element goes through the same float operations in the same order as the unfused chain
/// (`(p + q)`, `1 + γ`, `x·(1 + γ)`, `+ β`, the activation and its derivative as in
/// `Elementwise.swift`), so values and gradients are bit-identical to it.
public func filmActivation(_ x: Tensor, modulation p: Tensor, plus q: Tensor, activation: Activation) -> Tensor {
    precondition(x.rank >= 1, "filmActivation: x must have a feature axis, got \(x.shape)")
    let w = x.shape[x.rank - 1]
    let rows = w == 0 ? 0 : x.count / w
    precondition(p.shape.last == 2 * w && p.count == rows * 2 * w,
                 "filmActivation: modulation \(p.shape) must be \(rows) rows of \(2 * w) for x \(x.shape)")
    precondition(q.shape.last == 2 * w && (q.count == rows * 2 * w || q.count == 2 * w),
                 "filmActivation: plus \(q.shape) must be \(rows) rows or one row of \(2 * w)")
    let qShared = q.count == 2 * w && rows != 1
    let px = x.storage.pointer, pp = p.storage.pointer, pq = q.storage.pointer

    let y = Tensor.filled(shape: x.shape) { o in
        let po = o.baseAddress!
        switch activation {
        case .identity: FiLMKernel.forward(px, pp, pq, qShared, po, rows, w) { $0 }
        case .relu: FiLMKernel.forward(px, pp, pq, qShared, po, rows, w) { $0.replacing(with: 0, where: $0 .< 0) }
        case .silu: FiLMKernel.forward(px, pp, pq, qShared, po, rows, w) { $0 * Kernels.sigmoid($0) }
        case .gelu: FiLMKernel.forward(px, pp, pq, qShared, po, rows, w) { Kernels.gelu($0) }
        case .tanh: FiLMKernel.forward(px, pp, pq, qShared, po, rows, w) { Kernels.tanh($0) }
        case .sigmoid: FiLMKernel.forward(px, pp, pq, qShared, po, rows, w) { Kernels.sigmoid($0) }
        }
    }

    let xv = x.detached(), pv = p.detached(), qv = q.detached(), yv = y.detached()
    return Tensor.result(y, inputs: [x, p, q]) { g, needs in
        let gp = g.storage.pointer, py = yv.storage.pointer
        let dx = needs[0] ? TensorStorage(uninitializedCount: xv.count) : nil
        // dq equals dp when q is not shared, so dp is computed whenever either needs it.
        let dp = needs[1] || (needs[2] && !qShared) ? TensorStorage(uninitializedCount: pv.count) : nil
        let dq = needs[2] && qShared ? TensorStorage(repeating: 0, count: qv.count) : nil
        let out = FiLMKernel.Gradients(dx: dx?.pointer, dp: dp?.pointer, dqShared: dq?.pointer)
        let ins = FiLMKernel.Inputs(x: px, p: pp, q: pq, qShared: qShared, y: py, g: gp, rows: rows, w: w)
        // dS = g·act'(s), written exactly as each activation's backward rule in Elementwise.swift.
        switch activation {
        case .identity: FiLMKernel.backward(ins, out) { g, _, _ in g }
        case .relu:
            FiLMKernel.backward(ins, out) { g, s, _ in g * Kernels.V(repeating: 0).replacing(with: 1, where: s .> 0) }
        case .silu:
            FiLMKernel.backward(ins, out) { g, s, _ in
                let sg = Kernels.sigmoid(s)
                return g * sg * (1 + s * (1 - sg))
            }
        case .gelu: FiLMKernel.backward(ins, out) { g, s, _ in g * Kernels.geluDerivative(s) }
        case .tanh: FiLMKernel.backward(ins, out) { g, _, y in g * (1 - y * y) }
        case .sigmoid: FiLMKernel.backward(ins, out) { g, _, y in g * y * (1 - y) }
        }
        let dpTensor = dp.map { Tensor(shape: pv.shape, storage: $0) }
        return [
            dx.map { Tensor(shape: xv.shape, storage: $0) },
            needs[1] ? dpTensor : nil,
            needs[2] ? (qShared ? Tensor(shape: qv.shape, storage: dq!) : dpTensor!.reshapedValue(qv.shape)) : nil,
        ]
    }
}

/// The row loops of `filmActivation`: 16 features at a time, with the tail of a row padded with
/// zeros and sent through the same vector code (as `Kernels.map` does), so a value never depends on
/// the row width or its position.
enum FiLMKernel {
    typealias V = Kernels.V

    /// Up to 16 values from `p` (zeros beyond `n`).
    @inline(__always) static func load(_ p: UnsafePointer<Float>, _ n: Int) -> V {
        if n >= 16 { return Kernels.load(p) }
        var v = V()
        for j in 0..<n { v[j] = p[j] }
        return v
    }

    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
        if n >= 16 { Kernels.store(v, p); return }
        for j in 0..<n { p[j] = v[j] }
    }

    @inline(__always)
    static func forward(_ x: UnsafePointer<Float>, _ p: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ qShared: Bool,
                        _ out: UnsafeMutablePointer<Float>, _ rows: Int, _ w: Int, _ act: (V) -> V) {
        for r in 0..<rows {
            let xr = x + r * w, pr = p + r * 2 * w, qr = qShared ? q : q + r * 2 * w, orow = out + r * w
            var j = 0
            while j < w {
                let n = w - j
                let gamma = load(pr + j, n) + load(qr + j, n)
                let beta = load(pr + w + j, n) + load(qr + w + j, n)
                let s = load(xr + j, n) * (1 + gamma) + beta
                store(act(s), orow + j, n)
                j += 16
            }
        }
    }

    struct Inputs {
        let x: UnsafePointer<Float>, p: UnsafePointer<Float>, q: UnsafePointer<Float>
        let qShared: Bool
        let y: UnsafePointer<Float>, g: UnsafePointer<Float>
        let rows: Int, w: Int
    }

    /// Where the backward pass writes; nil for inputs that need no gradient. `dqShared` (a zeroed
    /// `2w` row) receives `Σ_rows [dγ, dβ]`, added row by row in order as `sumToShape` would.
    struct Gradients {
        let dx: UnsafeMutablePointer<Float>?, dp: UnsafeMutablePointer<Float>?, dqShared: UnsafeMutablePointer<Float>?
    }

    /// `dS = dAct(g, s, y)`; `dx = dS·(1 + γ)`, `dγ = dS·x`, `dβ = dS`, `dp = dq = [dγ, dβ]`.
    @inline(__always)
    static func backward(_ a: Inputs, _ d: Gradients, _ dAct: (V, V, V) -> V) {
        let w = a.w
        for r in 0..<a.rows {
            let xr = a.x + r * w, pr = a.p + r * 2 * w, qr = a.qShared ? a.q : a.q + r * 2 * w
            let yr = a.y + r * w, gr = a.g + r * w
            var j = 0
            while j < w {
                let n = w - j
                let gamma = load(pr + j, n) + load(qr + j, n)
                let beta = load(pr + w + j, n) + load(qr + w + j, n)
                let xj = load(xr + j, n)
                let scale = 1 + gamma
                let s = xj * scale + beta
                let dS = dAct(load(gr + j, n), s, load(yr + j, n))
                if let dx = d.dx { store(dS * scale, dx + r * w + j, n) }
                let dGamma = dS * xj
                if let dp = d.dp {
                    store(dGamma, dp + r * 2 * w + j, n)
                    store(dS, dp + r * 2 * w + w + j, n)
                }
                if let dq = d.dqShared {
                    store(load(dq + j, n) + dGamma, dq + j, n)
                    store(load(dq + w + j, n) + dS, dq + w + j, n)
                }
                j += 16
            }
        }
    }
}
