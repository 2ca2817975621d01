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
    filmActivation(x, modulation: p, rows: nil, plus: q, rows: nil, activation: activation)
}

/// `filmActivation` with the modulation parts read through row indices: row `r` of `x` is modulated
/// by row `pRows[r]` of `p` and row `qRows[r]` of `q` (nil: `p` has the rows of `x`; `q` has them
/// or is one shared row).
///
/// ```swift
/// let pq = obsProjection                        // [B, 2w], once per chunk
/// let rows = (0..<b).flatMap { [Int](repeating: $0, count: m) }   // M pairs per chunk
/// let y = filmActivation(z, modulation: pq, rows: rows, plus: t, rows: nil, activation: .silu)  // z: [B·M, w]
/// // equals: filmActivation(z, modulation: pq.gatherRows(rows), plus: t, activation: .silu)
/// ```
/// A chunk's observation projection is thus used by its `M` FPO pairs (or `S` PPO transitions, or
/// `K` denoising steps) without a `[B·M, 2w]` copy per layer, and a time projection by all rows at
/// the same flow time. The backward pass adds each row's `[dγ, dβ]` into the row it read, rows in
/// order from zero, exactly as `gatherRows`' backward does, so values and gradients are
/// bit-identical to gathering first.
public func filmActivation(_ x: Tensor, modulation p: Tensor, rows pRows: [Int]?, plus q: Tensor, rows qRows: [Int]?,
                           activation: Activation) -> Tensor {
    precondition(x.rank >= 1, "filmActivation: x must have a feature axis, got \(x.shape)")
    let w = x.shape[x.rank - 1]
    let rows = w == 0 ? 0 : x.count / w
    func rowCount(_ t: Tensor) -> Int { w == 0 ? 0 : t.count / (2 * w) }
    if let pRows {
        precondition(pRows.count == rows, "filmActivation: \(pRows.count) modulation row indices for \(rows) rows")
        let n = rowCount(p)
        precondition(pRows.allSatisfy { $0 >= 0 && $0 < n }, "filmActivation: modulation row index out of range 0..<\(n)")
    }
    if let qRows {
        precondition(qRows.count == rows, "filmActivation: \(qRows.count) plus row indices for \(rows) rows")
        let n = rowCount(q)
        precondition(qRows.allSatisfy { $0 >= 0 && $0 < n }, "filmActivation: plus row index out of range 0..<\(n)")
    }
    precondition(p.shape.last == 2 * w && (pRows != nil || p.count == rows * 2 * w),
                 "filmActivation: modulation \(p.shape) must be \(rows) rows of \(2 * w) for x \(x.shape)")
    precondition(q.shape.last == 2 * w && (qRows != nil || q.count == rows * 2 * w || q.count == 2 * w),
                 "filmActivation: plus \(q.shape) must be \(rows) rows or one row of \(2 * w)")
    let qShared = qRows == nil && q.count == 2 * w && rows != 1
    let px = x.storage.pointer, pp = p.storage.pointer, pq = q.storage.pointer
    // Index arrays live as long as the result's backward closure (they are captured below).
    let pIndex = pRows.map { FiLMKernel.RowIndex($0) }, qIndex = qRows.map { FiLMKernel.RowIndex($0) }
    let pMap = FiLMKernel.RowMap(index: pIndex?.pointer, shared: false)
    let qMap = FiLMKernel.RowMap(index: qIndex?.pointer, shared: qShared)

    let y = Tensor.filled(shape: x.shape) { o in
        let po = o.baseAddress!
        switch activation {
        case .identity: FiLMKernel.forward(px, pp, pMap, pq, qMap, po, rows, w, IdentityActivation.self)
        case .relu: FiLMKernel.forward(px, pp, pMap, pq, qMap, po, rows, w, ReLUActivation.self)
        case .silu: FiLMKernel.forward(px, pp, pMap, pq, qMap, po, rows, w, SiLUActivation.self)
        case .gelu: FiLMKernel.forward(px, pp, pMap, pq, qMap, po, rows, w, GELUActivation.self)
        case .tanh: FiLMKernel.forward(px, pp, pMap, pq, qMap, po, rows, w, TanhActivation.self)
        case .sigmoid: FiLMKernel.forward(px, pp, pMap, pq, qMap, po, rows, w, SigmoidActivation.self)
        }
    }

    let xv = x.detached(), pv = p.detached(), qv = q.detached(), yv = y.detached()
    return Tensor.result(y, inputs: [x, p, q]) { g, needs in
        let gp = g.storage.pointer, py = yv.storage.pointer
        let pMap = FiLMKernel.RowMap(index: pIndex?.pointer, shared: false)
        let qMap = FiLMKernel.RowMap(index: qIndex?.pointer, shared: qShared)
        let dx = needs[0] ? TensorStorage(uninitializedCount: xv.count) : nil
        // With neither part indexed nor shared, dq equals dp, so dp is computed whenever either
        // needs it; an indexed or shared part accumulates into its own zeroed buffer.
        let qSameAsP = !pMap.accumulates && !qMap.accumulates
        func buffer(_ count: Int, accumulates: Bool) -> TensorStorage {
            accumulates ? TensorStorage(repeating: 0, count: count) : TensorStorage(uninitializedCount: count)
        }
        let dp = needs[1] || (needs[2] && qSameAsP) ? buffer(pv.count, accumulates: pMap.accumulates) : nil
        let dq = needs[2] && !qSameAsP ? buffer(qv.count, accumulates: qMap.accumulates) : nil
        let out = FiLMKernel.Gradients(dx: dx?.pointer, dp: dp?.pointer, pMap: pMap, dq: dq?.pointer, qMap: qMap)
        let ins = FiLMKernel.Inputs(x: px, p: pp, pMap: pMap, q: pq, qMap: qMap, y: py, g: gp, rows: rows, w: w)
        // dS = g·act'(s), written exactly as each activation's backward rule in Elementwise.swift.
        switch activation {
        case .identity: FiLMKernel.backward(ins, out, IdentityActivation.self)
        case .relu: FiLMKernel.backward(ins, out, ReLUActivation.self)
        case .silu: FiLMKernel.backward(ins, out, SiLUActivation.self)
        case .gelu: FiLMKernel.backward(ins, out, GELUActivation.self)
        case .tanh: FiLMKernel.backward(ins, out, TanhActivation.self)
        case .sigmoid: FiLMKernel.backward(ins, out, SigmoidActivation.self)
        }
        withExtendedLifetime((pIndex, qIndex)) {}
        let dpTensor = dp.map { Tensor(shape: pv.shape, storage: $0) }
        return [
            dx.map { Tensor(shape: xv.shape, storage: $0) },
            needs[1] ? dpTensor : nil,
            needs[2] ? (qSameAsP ? dpTensor!.reshapedValue(qv.shape) : Tensor(shape: qv.shape, storage: dq!)) : nil,
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

    /// Row indices kept in a stable buffer for the kernels (and alive while the backward closure is).
    final class RowIndex {
        let pointer: UnsafeMutablePointer<Int>
        init(_ rows: [Int]) {
            pointer = .allocate(capacity: Swift.max(rows.count, 1))
            for (i, r) in rows.enumerated() { pointer[i] = r }
        }
        deinit { pointer.deallocate() }
    }

    /// Which row of a modulation part row `r` of `x` reads: its own, `index[r]`, or row 0 (shared).
    struct RowMap {
        let index: UnsafeMutablePointer<Int>?
        let shared: Bool
        /// Several rows of `x` may read one row, so its gradient is a sum.
        var accumulates: Bool { shared || index != nil }
        @inline(__always) func row(_ r: Int) -> Int { shared ? 0 : (index.map { $0[r] } ?? r) }
    }

    @inline(__always)
    static func forward<A: VectorActivation>(_ x: UnsafePointer<Float>, _ p: UnsafePointer<Float>, _ pMap: RowMap,
                                             _ q: UnsafePointer<Float>, _ qMap: RowMap,
                                             _ out: UnsafeMutablePointer<Float>, _ rows: Int, _ w: Int, _: A.Type) {
        for r in 0..<rows {
            let xr = x + r * w, pr = p + pMap.row(r) * 2 * w, qr = q + qMap.row(r) * 2 * w, orow = out + r * w
            // Whole vectors (n = 16 folds the loads' tail branch away) and the padded tail out of
            // line: with one loop, the branch between full and partial loads made the compiler
            // scalarise the inlined activation (3× slower).
            var j = 0
            while j + 16 <= w {
                forwardVector(xr, pr, qr, orow, j, 16, w, A.self)
                j += 16
            }
            if j < w { forwardTail(xr, pr, qr, orow, j, w, A.self) }
        }
    }

    @inline(__always)
    static func forwardVector<A: VectorActivation>(_ xr: UnsafePointer<Float>, _ pr: UnsafePointer<Float>,
                                                   _ qr: UnsafePointer<Float>, _ orow: UnsafeMutablePointer<Float>,
                                                   _ j: Int, _ n: Int, _ w: Int, _: A.Type) {
        let gamma = load(pr + j, n) + load(qr + j, n)
        let beta = load(pr + w + j, n) + load(qr + w + j, n)
        let s = load(xr + j, n) * (1 + gamma) + beta
        store(A.value(s), orow + j, n)
    }

    @inline(never)
    static func forwardTail<A: VectorActivation>(_ xr: UnsafePointer<Float>, _ pr: UnsafePointer<Float>,
                                                 _ qr: UnsafePointer<Float>, _ orow: UnsafeMutablePointer<Float>,
                                                 _ j: Int, _ w: Int, _: A.Type) {
        forwardVector(xr, pr, qr, orow, j, w - j, w, A.self)
    }

    struct Inputs {
        let x: UnsafePointer<Float>, p: UnsafePointer<Float>, pMap: RowMap, q: UnsafePointer<Float>, qMap: RowMap
        let y: UnsafePointer<Float>, g: UnsafePointer<Float>
        let rows: Int, w: Int
    }

    /// Where the backward pass writes; nil for inputs that need no gradient. A part whose rows are
    /// read through an index or shared receives `[dγ, dβ]` added into the row it was read from
    /// (buffer zeroed by the caller), rows in order, as `gatherRows` and `sumToShape` would; other
    /// parts get each row's `[dγ, dβ]` stored.
    struct Gradients {
        let dx: UnsafeMutablePointer<Float>?
        let dp: UnsafeMutablePointer<Float>?, pMap: RowMap
        let dq: UnsafeMutablePointer<Float>?, qMap: RowMap
    }

    @inline(__always)
    static func write(_ d: UnsafeMutablePointer<Float>, _ map: RowMap, _ r: Int, _ j: Int, _ n: Int, _ w: Int,
                      _ dGamma: V, _ dBeta: V) {
        let row = d + map.row(r) * 2 * w
        if map.accumulates {
            store(load(row + j, n) + dGamma, row + j, n)
            store(load(row + w + j, n) + dBeta, row + w + j, n)
        } else {
            store(dGamma, row + j, n)
            store(dBeta, row + w + j, n)
        }
    }

    /// `dS = g·act'(s)` (`A.gradient`); `dx = dS·(1 + γ)`, `dγ = dS·x`, `dβ = dS`, `dp = dq = [dγ, dβ]`.
    /// Whole vectors and the tail in separate loops, as in `forward`.
    @inline(__always)
    static func backward<A: VectorActivation>(_ a: Inputs, _ d: Gradients, _: A.Type) {
        for r in 0..<a.rows {
            var j = 0
            while j + 16 <= a.w {
                backwardVector(a, d, r, j, 16, A.self)
                j += 16
            }
            if j < a.w { backwardTail(a, d, r, j, A.self) }
        }
    }

    @inline(__always)
    static func backwardVector<A: VectorActivation>(_ a: Inputs, _ d: Gradients, _ r: Int, _ j: Int, _ n: Int, _: A.Type) {
        let w = a.w
        let xr = a.x + r * w, pr = a.p + a.pMap.row(r) * 2 * w, qr = a.q + a.qMap.row(r) * 2 * w
        let yr = a.y + r * w, gr = a.g + r * w
        let gamma = load(pr + j, n) + load(qr + j, n)
        let beta = load(pr + w + j, n) + load(qr + w + j, n)
        let xj = load(xr + j, n)
        let scale = 1 + gamma
        let s = xj * scale + beta
        let dS = A.gradient(load(gr + j, n), s, load(yr + j, n))
        if let dx = d.dx { store(dS * scale, dx + r * w + j, n) }
        let dGamma = dS * xj
        if let dp = d.dp { write(dp, d.pMap, r, j, n, w, dGamma, dS) }
        if let dq = d.dq { write(dq, d.qMap, r, j, n, w, dGamma, dS) }
    }

    @inline(never)
    static func backwardTail<A: VectorActivation>(_ a: Inputs, _ d: Gradients, _ r: Int, _ j: Int, _: A.Type) {
        backwardVector(a, d, r, j, a.w - j, A.self)
    }
}
