/// NumPy broadcasting: shapes are aligned at their last axis; each pair of extents must be equal or
/// one of them 1.
public func broadcastShapes(_ a: [Int], _ b: [Int]) -> [Int] {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        precondition(da == db || da == 1 || db == 1, "shapes \(a) and \(b) do not broadcast")
        out[i] = da == 1 ? db : da
    }
    return out
}

/// Strides of `shape` viewed inside `outShape` (0 along broadcast axes).
func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
    let strides = contiguousStrides(shape)
    let offset = outShape.count - shape.count
    return (0..<outShape.count).map { i in
        i < offset || shape[i - offset] == 1 ? 0 : strides[i - offset]
    }
}

extension Tensor {
    /// Elementwise `f(a, b)` over the broadcast shape, with fast paths for equal shapes and for a
    /// scalar or trailing-suffix (bias-like) operand.
    static func broadcastZip(_ a: Tensor, _ b: Tensor,
                             _ vector: (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>,
                             _ scalar: (Float, Float) -> Float) -> Tensor {
        let outShape = a.shape == b.shape ? a.shape : broadcastShapes(a.shape, b.shape)
        let n = Tensor.count(of: outShape)
        let pa = a.storage.pointer, pb = b.storage.pointer
        return Tensor.filled(shape: outShape) { out in
            let po = out.baseAddress!
            if a.count == n && b.count == n {
                Kernels.zip(pa, pb, po, n, vector)
            } else if b.count == 1 {
                let vb = SIMD16<Float>(repeating: pb[0]), sb = pb[0]
                if a.count == n {
                    Kernels.map(pa, po, n, { vector($0, vb) })
                } else {
                    let va = pa[0]  // a is also one element but the shape broadcasts (e.g. [1] and [1,1])
                    for i in 0..<n { po[i] = scalar(va, sb) }
                }
            } else if a.count == 1 {
                let va = SIMD16<Float>(repeating: pa[0])
                Kernels.map(pb, po, n, { vector(va, $0) })
            } else if a.count == n && isTrailingSuffix(b.shape, of: outShape) {
                let inner = b.count
                for r in 0..<(n / inner) {
                    Kernels.zip(pa + r * inner, pb, po + r * inner, inner, vector)
                }
            } else if b.count == n && isTrailingSuffix(a.shape, of: outShape) {
                let inner = a.count
                for r in 0..<(n / inner) {
                    Kernels.zip(pa, pb + r * inner, po + r * inner, inner, vector)
                }
            } else {
                stridedZip(pa, broadcastStrides(a.shape, to: outShape), pb,
                           broadcastStrides(b.shape, to: outShape), po, outShape, scalar)
            }
        }
    }

    /// True when `shape` (after dropping leading 1s) equals the trailing axes of `outShape`.
    static func isTrailingSuffix(_ shape: [Int], of outShape: [Int]) -> Bool {
        var s = shape[...]
        while let first = s.first, first == 1, s.count > 0 { s = s.dropFirst() }
        if s.isEmpty { return false }
        return s.count <= outShape.count && Array(outShape.suffix(s.count)) == Array(s)
    }

    /// General broadcasting loop: odometer over the leading axes, strided inner loop on the last.
    static func stridedZip(_ pa: UnsafePointer<Float>, _ sa: [Int], _ pb: UnsafePointer<Float>, _ sb: [Int],
                           _ po: UnsafeMutablePointer<Float>, _ shape: [Int], _ f: (Float, Float) -> Float) {
        let rank = shape.count
        let n = Tensor.count(of: shape)
        if n == 0 { return }
        let inner = shape[rank - 1]
        let ia = sa[rank - 1], ib = sb[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var offA = 0, offB = 0, o = 0
        while o < n {
            for j in 0..<inner { po[o + j] = f(pa[offA + j * ia], pb[offB + j * ib]) }
            o += inner
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offA += sa[axis]
                offB += sb[axis]
                if index[axis] < shape[axis] { break }
                offA -= sa[axis] * shape[axis]
                offB -= sb[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Sums a gradient of a broadcast result back to `target` (the inverse of broadcasting).
    func sumToShape(_ target: [Int]) -> Tensor {
        if shape == target { return self }
        let offset = rank - target.count
        precondition(offset >= 0, "cannot reduce shape \(shape) to \(target)")
        var axes: [Int] = Array(0..<offset)
        for i in 0..<target.count where target[i] == 1 && shape[i + offset] != 1 { axes.append(i + offset) }
        let reduced = axes.isEmpty ? self : sum(axes: axes, keepDims: true)
        return reduced.reshaped(target)
    }

    /// This tensor repeated along broadcast axes to `target` (materialised).
    public func broadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(broadcastShapes(shape, target) == target, "cannot broadcast \(shape) to \(target)")
        let value = Tensor.broadcastZip(self, Tensor.zeros(target), { a, _ in a }, { a, _ in a })
        let inputShape = shape
        return Tensor.result(value, input: self) { g in g.sumToShape(inputShape) }
    }
}
