/// Shape and indexing ops: reshape, permute/transpose, slice, concat, split, gather rows, where.
extension Tensor {
    /// Same storage, new shape (no gradient tracking; a building block).
    func reshapedValue(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    /// The same values with a new shape of equal element count; one extent may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let i = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            target[i] = count / known
        }
        precondition(Tensor.count(of: target) == count, "cannot reshape \(shape) (\(count) values) to \(newShape)")
        if target == shape { return self }
        let inShape = shape
        return Tensor.result(reshapedValue(target), input: self) { g in g.reshapedValue(inShape) }
    }

    /// Axes reordered: result axis i is input axis `axes[i]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permutation \(axes) is not a permutation of 0..<\(rank)")
        if axes == Array(0..<rank) { return self }
        let outShape = axes.map { shape[$0] }
        let inStrides = contiguousStrides(shape)
        let src = storage.pointer
        let value = Tensor.filled(shape: outShape) { o in
            // Fast path: swap of the last two axes of a batch of matrices.
            if rank >= 2 && axes == Array(0..<(rank - 2)) + [rank - 1, rank - 2] {
                let r = shape[rank - 2], c = shape[rank - 1]
                let batch = count / Swift.max(r * c, 1)
                for b in 0..<batch {
                    let s = src + b * r * c, d = o.baseAddress! + b * r * c
                    for i in 0..<r { for j in 0..<c { d[j * r + i] = s[i * c + j] } }
                }
                return
            }
            let stridesInOut = axes.map { inStrides[$0] }
            var index = [Int](repeating: 0, count: rank)
            var off = 0
            for k in 0..<count {
                o[k] = src[off]
                var ax = rank - 1
                while ax >= 0 {
                    index[ax] += 1
                    off += stridesInOut[ax]
                    if index[ax] < outShape[ax] { break }
                    off -= stridesInOut[ax] * outShape[ax]
                    index[ax] = 0
                    ax -= 1
                }
            }
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return Tensor.result(value, input: self) { g in g.permuted(inverse) }
    }

    /// The last two axes swapped.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed() needs rank ≥ 2")
        return permuted(Array(0..<(rank - 2)) + [rank - 1, rank - 2])
    }

    /// The sub-tensor `range` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = normalizeAxis(axis, rank: rank)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a],
                     "slice \(range) out of bounds for axis \(a) of extent \(shape[a])")
        let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape
        outShape[a] = range.count
        let src = storage.pointer
        let value = Tensor.filled(shape: outShape) { o in
            for i in 0..<outer {
                (o.baseAddress! + i * range.count * inner).update(
                    from: src + (i * n + range.lowerBound) * inner, count: range.count * inner)
            }
        }
        let inShape = shape
        return Tensor.result(value, input: self) { g in
            let gp = g.storage.pointer
            return Tensor.zeroFilled(shape: inShape) { d in
                for i in 0..<outer {
                    (d.baseAddress! + (i * n + range.lowerBound) * inner).update(
                        from: gp + i * range.count * inner, count: range.count * inner)
                }
            }
        }
    }

    /// Tensors joined along `axis` (all other extents equal).
    public static func concat(_ parts: [Tensor], axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concat needs at least one tensor")
        let rank = parts[0].rank
        let a = normalizeAxis(axis, rank: rank)
        for p in parts {
            precondition(p.rank == rank && (0..<rank).allSatisfy { $0 == a || p.shape[$0] == parts[0].shape[$0] },
                         "concat: shapes \(parts.map(\.shape)) differ outside axis \(a)")
        }
        let outer = parts[0].shape[..<a].reduce(1, *), inner = parts[0].shape[(a + 1)...].reduce(1, *)
        let sizes = parts.map { $0.shape[a] }
        let total = sizes.reduce(0, +)
        var outShape = parts[0].shape
        outShape[a] = total
        let value = Tensor.filled(shape: outShape) { o in
            var offset = 0
            for (p, n) in zip(parts, sizes) {
                for i in 0..<outer {
                    (o.baseAddress! + (i * total + offset) * inner).update(from: p.storage.pointer + i * n * inner, count: n * inner)
                }
                offset += n
            }
        }
        return result(value, inputs: parts) { g, needs in
            var start = 0
            return sizes.enumerated().map { (i, n) in
                defer { start += n }
                return needs[i] ? g.slice(axis: a, start..<(start + n)) : nil
            }
        }
    }

    /// Pieces of the given extents along `axis` (they must add up to the axis extent).
    public func split(sizes: [Int], axis: Int) -> [Tensor] {
        let a = normalizeAxis(axis, rank: rank)
        precondition(sizes.reduce(0, +) == shape[a], "split sizes \(sizes) do not add up to \(shape[a])")
        var start = 0
        return sizes.map { n in
            defer { start += n }
            return slice(axis: a, start..<(start + n))
        }
    }

    /// Rows (entries along axis 0) picked by index, with repetition allowed; the gradient scatters back.
    public func gatherRows(_ indices: [Int]) -> Tensor {
        precondition(rank >= 1, "gatherRows needs rank ≥ 1")
        let rows = shape[0], inner = count / Swift.max(rows, 1)
        for i in indices { precondition(i >= 0 && i < rows, "row index \(i) out of range 0..<\(rows)") }
        let outShape = [indices.count] + shape.dropFirst()
        let src = storage.pointer
        let value = Tensor.filled(shape: outShape) { o in
            for (r, i) in indices.enumerated() {
                (o.baseAddress! + r * inner).update(from: src + i * inner, count: inner)
            }
        }
        let inShape = shape
        return Tensor.result(value, input: self) { g in
            let gp = g.storage.pointer
            return Tensor.zeroFilled(shape: inShape) { d in
                for (r, i) in indices.enumerated() {
                    Kernels.addInPlace(d.baseAddress! + i * inner, gp + r * inner, inner)
                }
            }
        }
    }

    /// `condition ? a : b` elementwise with broadcasting (a condition element is true when non-zero).
    /// The gradient flows only into the branch that was selected; NaN/inf in the other branch do not leak.
    public static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = broadcastShapes(broadcastShapes(condition.shape, a.shape), b.shape)
        let c = condition.detached().broadcast(to: shape)
        let av = a.detached().broadcast(to: shape), bv = b.detached().broadcast(to: shape)
        let pc = c.storage.pointer, pa = av.storage.pointer, pb = bv.storage.pointer
        let value = Tensor.filled(shape: shape) { o in
            for i in 0..<o.count { o[i] = pc[i] != 0 ? pa[i] : pb[i] }
        }
        let sa = a.shape, sb = b.shape
        return result(value, inputs: [a, b]) { g, needs in
            let gp = g.storage.pointer
            let pc = c.storage.pointer  // captures `c`, keeping the mask alive for the backward pass
            func masked(_ keep: Bool) -> Tensor {
                Tensor.filled(shape: shape) { d in
                    for i in 0..<d.count { d[i] = (pc[i] != 0) == keep ? gp[i] : 0 }
                }
            }
            return [needs[0] ? masked(true).sumToShape(sa) : nil, needs[1] ? masked(false).sumToShape(sb) : nil]
        }
    }

    /// 1 where `self > other`, else 0 (no gradient; for masks).
    public func greater(_ other: Tensor) -> Tensor {
        Tensor.broadcastZip(detached(), other.detached(),
                            { SIMD16<Float>(repeating: 0).replacing(with: 1, where: $0 .> $1) }, { $0 > $1 ? 1 : 0 })
    }

    /// 1 where `self < other`, else 0 (no gradient; for masks).
    public func less(_ other: Tensor) -> Tensor {
        Tensor.broadcastZip(detached(), other.detached(),
                            { SIMD16<Float>(repeating: 0).replacing(with: 1, where: $0 .< $1) }, { $0 < $1 ? 1 : 0 })
    }
}
