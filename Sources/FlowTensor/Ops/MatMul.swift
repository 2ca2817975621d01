/// Matrix products on the last two axes, with optional transposes and batch axes.
///
/// `op(a)` is `[…, M, K]` and `op(b)` is `[…, K, N]`; batch axes must be equal, or one operand is a
/// plain matrix shared by the whole batch. A shared right operand is folded into one large GEMM
/// (`[B·M, K]·[K, N]`), which is the common case of a layer applied to a batch.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul needs rank ≥ 2 operands, got \(a.shape) and \(b.shape)")
    let value = matmulValue(a, b, transposeA, transposeB)
    let av = a.detached(), bv = b.detached()
    return Tensor.result(value, inputs: [a, b]) { g, needs in
        // C = op(A)·op(B) ⇒ dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC; un-transpose to A, B.
        var ga: Tensor? = nil, gb: Tensor? = nil
        if needs[0] {
            ga = transposeA ? matmulValue(bv, g, transposeB, true) : matmulValue(g, bv, false, !transposeB)
            ga = ga!.sumToShape(av.shape)
        }
        if needs[1] && bv.rank == 2 && av.rank > 2 && !transposeA {
            // Shared right operand: the batch sum of op(A)ᵀ·dC is one GEMM over the folded batch.
            let a2 = av.reshapedValue([av.count / av.shape[av.rank - 1], av.shape[av.rank - 1]])
            let g2 = g.reshapedValue([g.count / g.shape[g.rank - 1], g.shape[g.rank - 1]])
            gb = transposeB ? matmulValue(g2, a2, true, false) : matmulValue(a2, g2, true, false)
        } else if needs[1] {
            gb = transposeB ? matmulValue(g, av, true, transposeA) : matmulValue(av, g, !transposeA, false)
            gb = gb!.sumToShape(bv.shape)
        }
        return [ga, gb]
    }
}

extension Tensor {
    /// `self · other` (see `matmul(_:_:transposeA:transposeB:)`).
    public func matmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        FlowTensor.matmul(self, other, transposeA: transposeA, transposeB: transposeB)
    }
}

/// The untracked product; batch axes of the result follow the operand that has them.
func matmulValue(_ a: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) -> Tensor {
    let ar = a.rank, br = b.rank
    let (am, ak) = ta ? (a.shape[ar - 1], a.shape[ar - 2]) : (a.shape[ar - 2], a.shape[ar - 1])
    let (bk, bn) = tb ? (b.shape[br - 1], b.shape[br - 2]) : (b.shape[br - 2], b.shape[br - 1])
    precondition(ak == bk, "matmul: inner extents differ (\(a.shape)\(ta ? "ᵀ" : "") · \(b.shape)\(tb ? "ᵀ" : ""))")
    let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
    let lda = a.shape[ar - 1], ldb = b.shape[br - 1]
    let pa = a.storage.pointer, pb = b.storage.pointer

    if bBatch.isEmpty || bBatch.allSatisfy({ $0 == 1 }) {
        let batch = aBatch.reduce(1, *)
        let outShape = broadcastShapes(aBatch, bBatch) + [am, bn]
        if !ta {
            // Fold the batch into M: one GEMM.
            return Tensor.filled(shape: outShape) { o in
                SGEMM.multiply(transposeA: false, transposeB: tb, m: batch * am, n: bn, k: ak,
                               a: pa, lda: lda, b: pb, ldb: ldb, c: o.baseAddress!, ldc: bn)
            }
        }
        return Tensor.filled(shape: outShape) { o in
            for i in 0..<batch {
                SGEMM.multiply(transposeA: true, transposeB: tb, m: am, n: bn, k: ak,
                               a: pa + i * am * ak, lda: lda, b: pb, ldb: ldb, c: o.baseAddress! + i * am * bn, ldc: bn)
            }
        }
    }
    let batchShape: [Int]
    if aBatch.isEmpty || aBatch.allSatisfy({ $0 == 1 }) {
        batchShape = bBatch
    } else {
        precondition(aBatch == bBatch, "matmul: batch axes \(aBatch) and \(bBatch) differ")
        batchShape = aBatch
    }
    let batch = batchShape.reduce(1, *)
    let aStride = aBatch.reduce(1, *) == 1 ? 0 : am * ak
    let bStride = bk * bn
    return Tensor.filled(shape: batchShape + [am, bn]) { o in
        for i in 0..<batch {
            SGEMM.multiply(transposeA: ta, transposeB: tb, m: am, n: bn, k: ak,
                           a: pa + i * aStride, lda: lda, b: pb + i * bStride, ldb: ldb,
                           c: o.baseAddress! + i * am * bn, ldc: bn)
        }
    }
}
