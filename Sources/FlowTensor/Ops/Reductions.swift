/// Reductions over axes: sum, mean, max, logsumexp, softmax.
///
/// A reduction over a set of axes is done one contiguous run at a time on a `[outer, n, inner]`
/// view, in a fixed order, so results do not depend on thread count or call site.
extension Tensor {
    /// Sum over all elements (a scalar tensor).
    public func sum() -> Tensor { sum(axes: Array(0..<rank), keepDims: false) }

    /// Mean over all elements.
    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let n = axes.map { shape[normalizeAxis($0, rank: rank)] }.reduce(1, *)
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Sum over `axes`; with `keepDims` the reduced axes stay as extent 1.
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let ax = Set(axes.map { normalizeAxis($0, rank: rank) })
        var value = self.detached()
        for a in ax.sorted(by: >) { value = value.sumAxisKeepingDim(a) }
        let keptShape = value.shape
        let outShape = keepDims ? keptShape : shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
        let out = value.reshapedValue(outShape)
        let inShape = shape
        return Tensor.result(out, input: self) { g in g.reshapedValue(keptShape).broadcast(to: inShape) }
    }

    /// Sum over one axis, keeping it as extent 1 (no gradient tracking; a building block).
    func sumAxisKeepingDim(_ axis: Int) -> Tensor {
        let outer = shape[..<axis].reduce(1, *)
        let n = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        var outShape = shape
        outShape[axis] = 1
        let src = storage.pointer
        return Tensor.filled(shape: outShape) { o in
            let po = o.baseAddress!
            po.initialize(repeating: 0, count: outer * inner)
            for i in 0..<outer {
                let dst = po + i * inner
                for j in 0..<n {
                    Kernels.addInPlace(dst, src + (i * n + j) * inner, inner)
                }
            }
        }
    }

    /// Maximum over `axis`; the gradient goes to the first position holding the maximum.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        let a = normalizeAxis(axis, rank: rank)
        let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        precondition(n > 0, "max over an empty axis")
        var kept = shape
        kept[a] = 1
        var argmax = [Int](repeating: 0, count: outer * inner)
        let src = storage.pointer
        let value = Tensor.filled(shape: kept) { o in
            for i in 0..<outer {
                for k in 0..<inner {
                    var best = src[i * n * inner + k]
                    var bi = 0
                    for j in 1..<Swift.max(n, 1) {
                        let v = src[(i * n + j) * inner + k]
                        if v > best || (best != best) { best = v; bi = j }
                    }
                    o[i * inner + k] = best
                    argmax[i * inner + k] = bi
                }
            }
        }
        let outShape = keepDims ? kept : shape.enumerated().filter { $0.offset != a }.map(\.element)
        let out = value.reshapedValue(outShape)
        let inShape = shape
        return Tensor.result(out, input: self) { g in
            let gp = g.storage.pointer
            return Tensor.zeroFilled(shape: inShape) { d in
                for i in 0..<outer {
                    for k in 0..<inner {
                        d[(i * n + argmax[i * inner + k]) * inner + k] = gp[i * inner + k]
                    }
                }
            }
        }
    }

    /// `log Σ exp(x)` over `axis`, stabilised by the maximum (which carries no gradient: it cancels).
    public func logSumExp(axis: Int, keepDims: Bool = false) -> Tensor {
        let m = self.detached().max(axis: axis, keepDims: true)
        let finiteMax = m.mapElements({ $0.replacing(with: 0, where: .!($0 .== $0) .| (SIMD16<Float>.abs($0) .== .infinity)) })
        let lse = (self - finiteMax).exp().sum(axis: axis, keepDims: true).log() + finiteMax
        if keepDims { return lse }
        var outShape = shape
        outShape.remove(at: normalizeAxis(axis, rank: rank))
        return lse.reshaped(outShape)
    }

    /// `exp(x − logsumexp(x))` over `axis`.
    public func softmax(axis: Int = -1) -> Tensor {
        (self - logSumExp(axis: axis, keepDims: true)).exp()
    }

    /// `x − logsumexp(x)` over `axis`.
    public func logSoftmax(axis: Int = -1) -> Tensor {
        self - logSumExp(axis: axis, keepDims: true)
    }
}
