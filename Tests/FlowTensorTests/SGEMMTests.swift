import FlowTensor
import Testing

/// SGEMM against a Float64 reference on awkward shapes, every transpose, alpha/beta, and threads.
@Suite struct SGEMMTests {
    func naive(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: [Float], _ b: [Float],
               _ beta: Float, _ c: [Float]) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = ta ? a[p * m + i] : a[i * k + p]
                    let bv = tb ? b[j * k + p] : b[p * n + j]
                    s += Double(av) * Double(bv)
                }
                out[i * n + j] = Double(alpha) * s + Double(beta) * Double(c[i * n + j])
            }
        }
        return out
    }

    @Test(arguments: [(1, 1, 1), (3, 5, 7), (8, 32, 16), (9, 33, 257), (17, 31, 300), (64, 130, 129), (130, 64, 513), (257, 10, 300), (200, 1, 7)])
    func matchesFloat64ReferenceForAllTransposesAndEdgeTiles(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var rng = RandomGenerator(seed: UInt64(m * 1000 + n * 10 + k))
        let a = rng.normals(m * k), b = rng.normals(k * n), c0 = rng.normals(m * n)
        for ta in [false, true] {
            for tb in [false, true] {
                for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                    var c = c0
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            c.withUnsafeMutableBufferPointer { pc in
                                SGEMM.multiply(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha,
                                               a: pa.baseAddress!, lda: ta ? m : k, b: pb.baseAddress!, ldb: tb ? k : n,
                                               beta: beta, c: pc.baseAddress!, ldc: n, threads: 1)
                            }
                        }
                    }
                    let ref = naive(ta, tb, m, n, k, alpha, a, b, beta, c0)
                    let worst = zip(c, ref).map { abs(Double($0) - $1) / (1 + abs($1)) }.max() ?? 0
                    #expect(worst < 1e-4, "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb) α=\(alpha) β=\(beta): error \(worst)")
                }
            }
        }
    }

    func product(_ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: [Float], _ b: [Float], _ c0: [Float], beta: Float,
                 threads: Int, packed: SGEMM.PackedPanels? = nil) -> [Float] {
        var c = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    SGEMM.multiply(transposeA: false, transposeB: tb, m: m, n: n, k: k, a: pa.baseAddress!, lda: k,
                                   b: pb.baseAddress!, ldb: tb ? k : n, beta: beta, c: pc.baseAddress!, ldc: n,
                                   threads: threads, packedB: packed)
                }
            }
        }
        return c
    }

    /// B packed once (`PackedPanels`: a layer's weight between two updates) gives the products of
    /// packing it in every call, bit for bit: one row, few rows, a column split over two threads
    /// (64 × 256 × 256), a row split (512 rows), more columns than one packing block (2 100), and
    /// depths across two blocks.
    @Test func prepackedPanelsGiveTheBitsOfPackingInEveryCall() {
        for (m, n, k) in [(1, 256, 256), (3, 37, 300), (64, 256, 256), (512, 256, 256), (9, 2100, 20)] {
            var rng = RandomGenerator(seed: UInt64(m + n + k))
            let a = rng.normals(m * k), b = rng.normals(k * n), c0 = rng.normals(m * n)
            for tb in [true, false] {
                let packed = b.withUnsafeBufferPointer { pb in
                    SGEMM.PackedPanels(transposeB: tb, b: pb.baseAddress!, ldb: tb ? k : n, k: k, n: n)
                }
                for threads in [1, 2] {
                    for beta in [Float(0), 1] {
                        let plain = product(tb, m, n, k, a, b, c0, beta: beta, threads: threads)
                        let reused = product(tb, m, n, k, a, b, c0, beta: beta, threads: threads, packed: packed)
                        #expect(plain == reused, "m=\(m) n=\(n) k=\(k) tb=\(tb) threads=\(threads) β=\(beta)")
                    }
                }
            }
        }
    }

    /// Tiles of fewer than eight rows take the few-rows kernel, whole tiles the 8×32 one; a row of C
    /// must not depend on which (docs/algorithms.md §7: rollouts and updates batch rows differently).
    /// (n = 37 reads A in place for every row count, n = 100 only for 1–6 rows.)
    @Test(arguments: [37, 100])
    func productRowsDoNotDependOnHowManyRowsAreMultipliedTogether(n: Int) {
        let k = 300, rows = 16
        var rng = RandomGenerator(seed: 21)
        let a = rng.normals(rows * k), b = rng.normals(k * n), c0 = rng.normals(rows * n)
        for tb in [true, false] {
            for beta in [Float(0), 1] {
                let all = product(tb, rows, n, k, a, b, c0, beta: beta, threads: 1)
                for m in 1..<rows {
                    let some = product(tb, m, n, k, Array(a[..<(m * k)]), b, Array(c0[..<(m * n)]), beta: beta, threads: 1)
                    #expect(some == Array(all[..<(m * n)]), "rows \(m), tb=\(tb), β=\(beta)")
                }
            }
        }
    }

    @Test func twoThreadsGiveBitIdenticalResultsToOne() {
        for (m, n, k) in [(512, 256, 256), (64, 1024, 300), (1000, 130, 129)] {
            var rng = RandomGenerator(seed: 5)
            let a = rng.normals(m * k), b = rng.normals(k * n)
            func run(_ threads: Int) -> [Float] {
                var c = [Float](repeating: 0, count: m * n)
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            SGEMM.multiply(transposeA: false, transposeB: true, m: m, n: n, k: k,
                                           a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: k,
                                           c: pc.baseAddress!, ldc: n, threads: threads)
                        }
                    }
                }
                return c
            }
            #expect(run(1) == run(2), "m=\(m) n=\(n) k=\(k)")
        }
    }

    /// A C of few columns and many rows goes through `Cᵀ` (SGEMM.multiplyThin). Every row of C is
    /// computed independently, and fewer than 128 rows take the direct path, so blocks of 64 rows
    /// computed on their own must equal the same rows of the whole product bit for bit.
    @Test(arguments: [10, 128, 300])
    func thinProductsAreBitIdenticalToTheDirectPath(k: Int) {
        let m = 520, n = 10
        var rng = RandomGenerator(seed: UInt64(k))
        let a = rng.normals(m * k), b = rng.normals(k * n), c0 = rng.normals(m * n)
        for ta in [false, true] {
            for tb in [false, true] {
                for beta: Float in [0, 1, 0.5] {
                    for threads in [1, 2] {
                        // Rows r0..<r0+rows of C = op(A)·op(B) + beta·C0.
                        func product(rows r0: Int, _ rows: Int) -> [Float] {
                            var c = Array(c0[(r0 * n)..<((r0 + rows) * n)])
                            a.withUnsafeBufferPointer { pa in
                                b.withUnsafeBufferPointer { pb in
                                    c.withUnsafeMutableBufferPointer { pc in
                                        SGEMM.multiply(transposeA: ta, transposeB: tb, m: rows, n: n, k: k,
                                                       a: pa.baseAddress! + (ta ? r0 : r0 * k), lda: ta ? m : k,
                                                       b: pb.baseAddress!, ldb: tb ? k : n,
                                                       beta: beta, c: pc.baseAddress!, ldc: n, threads: threads)
                                    }
                                }
                            }
                            return c
                        }
                        let whole = product(rows: 0, m)
                        for r0 in [0, 64, m - 64] {
                            #expect(Array(whole[(r0 * n)..<((r0 + 64) * n)]) == product(rows: r0, 64),
                                    "k=\(k) ta=\(ta) tb=\(tb) β=\(beta) threads=\(threads) rows \(r0)..<\(r0 + 64)")
                        }
                    }
                }
            }
        }
    }

    @Test func zeroDepthScalesByBeta() {
        var c: [Float] = [1, 2, 3, 4]
        let a: [Float] = [0], b: [Float] = [0]
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    SGEMM.multiply(transposeA: false, transposeB: false, m: 2, n: 2, k: 0, a: pa.baseAddress!, lda: 1,
                                   b: pb.baseAddress!, ldb: 2, beta: 0.5, c: pc.baseAddress!, ldc: 2)
                }
            }
        }
        #expect(c == [0.5, 1, 1.5, 2])
    }
}
