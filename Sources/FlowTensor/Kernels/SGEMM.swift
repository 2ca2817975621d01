#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Dispatch

/// Single-precision GEMM: `C = alpha·op(A)·op(B) + beta·C`, row-major, `op(X)` = X or Xᵀ.
///
/// ```swift
/// SGEMM.multiply(transposeA: false, transposeB: true, m: m, n: n, k: k,
///                a: x, lda: k, b: w, ldb: k, c: y, ldc: n)   // y = x·wᵀ
/// ```
///
/// The structure is the BLIS/GotoBLAS one: B is packed into `kc × 32` column panels, A into
/// `8 × kc` row panels, and an 8×32 register-blocked micro-kernel of `SIMD16<Float>` FMAs runs over
/// them (16 accumulators, AVX-512 when compiled with `-target-cpu native`, see docs/architecture.md, "Speed rules").
/// Transposes are absorbed by the packing. Work is split across threads by disjoint row (or column)
/// ranges of C, so every element of C is accumulated in the same order whatever the thread count:
/// results are bit-identical for 1 and 2 threads.
public enum SGEMM {
    /// Rows of the register tile.
    @usableFromInline static let mr = 8
    /// Columns of the register tile (two `SIMD16<Float>`).
    @usableFromInline static let nr = 32
    /// Depth of one packed block: an `8 × kc` A panel plus a `kc × 32` B panel stay in L1/L2.
    @usableFromInline static let kc = 256
    /// Rows of A packed at once (the A block stays in L2 while B panels stream).
    @usableFromInline static let mc = 128
    /// Columns of B packed at once.
    @usableFromInline static let nc = 2048

    /// Multiply-adds below which a second thread costs more than it saves.
    public static let parallelThreshold = 1 << 21

    public static func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = ComputeSettings.threads,
        packedB: PackedPanels? = nil
    ) {
        guard m > 0, n > 0 else { return }
        // Panels packed earlier for exactly this op(B) replace the per-call packing (same values).
        let prepacked = packedB.flatMap { $0.matches(transposeB: transposeB, b: b, ldb: ldb, k: k, n: n) ? $0 : nil }
        if k == 0 || alpha == 0 {
            scale(c: c, m: m, n: n, ldc: ldc, beta: beta)
            return
        }
        if alpha == 1, n < nr / 2, m >= 4 * nr {
            multiplyThin(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                         beta: beta, c: c, ldc: ldc, threads: threads)
            return
        }
        let work = m * n * k
        let useThreads = threads > 1 && work >= parallelThreshold ? min(threads, 2) : 1
        if useThreads == 1 {
            blocked(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, prepacked, 0)
            return
        }
        // Split the larger of M and N into `useThreads` disjoint ranges aligned to the tile size.
        let splitRows = m >= n
        let extent = splitRows ? m : n
        let tile = splitRows ? mr : nr
        let tiles = (extent + tile - 1) / tile
        if tiles < useThreads {
            blocked(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, prepacked, 0)
            return
        }
        let pa = SendablePointer(UnsafeMutablePointer(mutating: a))
        let pb = SendablePointer(UnsafeMutablePointer(mutating: b))
        let pc = SendablePointer(c)
        DispatchQueue.concurrentPerform(iterations: useThreads) { part in
            let t0 = tiles * part / useThreads * tile
            let t1 = min(extent, tiles * (part + 1) / useThreads * tile)
            guard t1 > t0 else { return }
            if splitRows {
                let aOff = transposeA ? t0 : t0 * lda
                blocked(transposeA, transposeB, t1 - t0, n, k, alpha, pa.pointer + aOff, lda,
                        pb.pointer, ldb, beta, pc.pointer + t0 * ldc, ldc, prepacked, 0)
            } else {
                let bOff = transposeB ? t0 * ldb : t0
                blocked(transposeA, transposeB, m, t1 - t0, k, alpha, pa.pointer, lda,
                        pb.pointer + bOff, ldb, beta, pc.pointer + t0, ldc, prepacked, t0)
            }
        }
    }

    /// C with few columns and many rows (a policy's output layer: N = H·D ≈ 10 against 32 tile
    /// columns, so two thirds of every micro-kernel FMA are spent on padding) is computed through
    /// `Cᵀ = op(B)ᵀ·op(A)ᵀ`, whose few rows fill 8-row tiles and whose many columns fill 32-column
    /// ones, one depth block at a time into a scratch buffer, then added into C transposed.
    ///
    /// The direct path would send every tile of such a C through `edgeKernel`, which sums a depth
    /// block from zero and then stores it (first block, beta = 0) or adds it to C. This path does
    /// exactly that per element: the same products (`a·b = b·a`, also inside an FMA) summed from zero
    /// over the same depth indices in the same order, then stored or added, with beta applied to C
    /// first as `blocked` does. Results are bit-identical to the direct path. Alpha ≠ 1 stays on the
    /// direct path because packing folds alpha into the A operand.
    static func multiplyThin(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int
    ) {
        if beta != 0 && beta != 1 { scale(c: c, m: m, n: n, ldc: ldc, beta: beta) }
        let ct = AlignedBuffer(count: n * m)
        defer { ct.free() }
        var pc = 0
        while pc < k {
            let kb = min(kc, k - pc)
            // Depth indices pc..<pc+kb of op(A) ([m × k]) and op(B) ([k × n]).
            let aBlock = transposeA ? a + pc * lda : a + pc
            let bBlock = transposeB ? b + pc : b + pc * ldb
            multiply(transposeA: !transposeB, transposeB: !transposeA, m: n, n: m, k: kb,
                     a: bBlock, lda: ldb, b: aBlock, ldb: lda, beta: 0, c: ct.pointer, ldc: m, threads: threads)
            let overwrite = pc == 0 && beta == 0
            for i in 0..<m {
                let row = c + i * ldc
                if overwrite {
                    for j in 0..<n { row[j] = ct.pointer[j * m + i] }
                } else {
                    for j in 0..<n { row[j] += ct.pointer[j * m + i] }
                }
            }
            pc += kc
        }
    }

    @inline(__always)
    static func scale(c: UnsafeMutablePointer<Float>, m: Int, n: Int, ldc: Int, beta: Float) {
        if beta == 1 { return }
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else {
                for j in 0..<n { row[j] *= beta }
            }
        }
    }

    /// One thread's GEMM over its whole range, with its own packing buffers. With `prepacked`
    /// (the whole op(B) of the call, `PackedPanels`) B is not packed again; this range's column 0
    /// is the prepacked operand's column `columnOffset` (a multiple of 32).
    static func blocked(
        _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
        _ prepacked: PackedPanels? = nil, _ columnOffset: Int = 0
    ) {
        if beta != 0 && beta != 1 { scale(c: c, m: m, n: n, ldc: ldc, beta: beta) }
        let kcMax = min(k, kc)
        let ncMax = min(n, nc)
        let mcMax = min(m, mc)
        let packedB = prepacked == nil ? AlignedBuffer(count: kcMax * roundUp(ncMax, nr)) : nil
        let packedA = AlignedBuffer(count: kcMax * roundUp(mcMax, mr))
        defer { packedB?.free(); packedA.free() }
        // With one or two B panels every element of A is used once or twice, so copying it into
        // packed panels (a strided scalar store each) costs about as much as the FMAs it feeds: a
        // convolution's `columns · Wᵀ` with 32 or 64 output channels. Such an A is read in place.
        // The FMAs and their order are the same either way, so results are bit-identical.
        // So is an A of a few rows (a batch of 1–6): the few-rows kernel reads only its real rows,
        // where packing would also write the seven padding rows of the panel.
        let readsARowsInPlace = !ta && alpha == 1 && (n <= 2 * nr || m < mr - 1)

        var jc = 0
        while jc < n {
            let nb = min(nc, n - jc)
            var pc = 0
            while pc < k {
                let kb = min(kc, k - pc)
                if let packedB { packB(tb, b, ldb, pc, jc, kb, nb, packedB.pointer) }
                // The first depth block overwrites C when beta == 0; later blocks accumulate.
                let accumulate = pc > 0 || beta != 0
                var ic = 0
                while ic < m {
                    let mb = min(mc, m - ic)
                    // Rows below `unpacked` are read in place; the rest are packed.
                    // (Rows of a partial tile only when it takes the few-rows kernel, which reads
                    // no row past `mb`; the edge kernel reads all eight.)
                    let unpacked = readsARowsInPlace ? (mb < mr - 1 ? mb : mb / mr * mr) : 0
                    if unpacked < mb { packA(ta, a, lda, ic + unpacked, pc, mb - unpacked, kb, alpha, packedA.pointer) }
                    var jr = 0
                    while jr < nb {
                        let nrb = min(nr, nb - jr)
                        let bPanel = prepacked?.panel(depth: pc, kb: kb, column: columnOffset + jc + jr)
                            ?? UnsafePointer(packedB!.pointer + jr * kb)
                        var ir = 0
                        while ir < mb {
                            let mrb = min(mr, mb - ir)
                            let cTile = c + (ic + ir) * ldc + jc + jr
                            if ir < unpacked {
                                tile(kb, RowsInPlace(a + (ic + ir) * lda + pc, lda), bPanel, cTile, ldc, accumulate, mrb, nrb)
                            } else {
                                tile(kb, PackedRows(packedA.pointer + (ir - unpacked) * kb), bPanel, cTile, ldc, accumulate, mrb, nrb)
                            }
                            ir += mr
                        }
                        jr += nr
                    }
                    ic += mc
                }
                pc += kc
            }
            jc += nc
        }
    }

    @inline(__always) static func roundUp(_ x: Int, _ m: Int) -> Int { (x + m - 1) / m * m }

    /// Packs `op(B)[pc..<pc+kb, jc..<jc+nb]` into panels of 32 columns: panel p holds, for each
    /// depth index, 32 consecutive floats (zero-padded past `nb`).
    @inline(__always)
    static func packB(_ tb: Bool, _ b: UnsafePointer<Float>, _ ldb: Int, _ pc: Int, _ jc: Int,
                      _ kb: Int, _ nb: Int, _ out: UnsafeMutablePointer<Float>) {
        var p = 0
        while p < nb {
            let cols = min(nr, nb - p)
            let panel = out + p * kb
            if !tb {
                for kk in 0..<kb {
                    let src = b + (pc + kk) * ldb + jc + p
                    let dst = panel + kk * nr
                    if cols == nr {
                        let r = UnsafeRawPointer(src)
                        UnsafeMutableRawPointer(dst).storeBytes(
                            of: r.loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(dst + 16).storeBytes(
                            of: r.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self), as: SIMD16<Float>.self)
                    } else {
                        for j in 0..<cols { dst[j] = src[j] }
                        for j in cols..<nr { dst[j] = 0 }
                    }
                }
            } else {
                // op(B) = Bᵀ: element (kk, j) is b[(jc+p+j)·ldb + pc+kk]; read rows of B contiguously.
                // Transpose 16×16 blocks through registers: 16 contiguous row reads, 16 vector stores.
                let src = b + (jc + p) * ldb + pc
                var kk = 0
                while kk + 16 <= kb {
                    for half in 0..<2 {
                        let j0 = half * 16
                        if j0 + 16 <= cols {
                            transpose16(src + j0 * ldb + kk, ldb, panel + kk * nr + j0, nr)
                        } else {
                            for k2 in kk..<(kk + 16) {
                                for j in j0..<(j0 + 16) { panel[k2 * nr + j] = j < cols ? src[j * ldb + k2] : 0 }
                            }
                        }
                    }
                    kk += 16
                }
                while kk < kb {
                    for j in 0..<nr { panel[kk * nr + j] = j < cols ? src[j * ldb + kk] : 0 }
                    kk += 1
                }
            }
            p += nr
        }
    }

    /// Writes the transpose of the 16×16 block at `src` (row stride `lds`) to `dst` (row stride `ldd`).
    @inline(__always)
    static func transpose16(_ src: UnsafePointer<Float>, _ lds: Int, _ dst: UnsafeMutablePointer<Float>, _ ldd: Int) {
        var rows = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(),
                    SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(),
                    SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(),
                    SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        withUnsafeMutableBytes(of: &rows) { raw in
            let m = raw.baseAddress!.assumingMemoryBound(to: Float.self)
            for r in 0..<16 {
                UnsafeMutableRawPointer(m + r * 16).storeBytes(
                    of: UnsafeRawPointer(src + r * lds).loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
            }
            for c in 0..<16 {
                var col = SIMD16<Float>()
                for r in 0..<16 { col[r] = m[r * 16 + c] }
                UnsafeMutableRawPointer(dst + c * ldd).storeBytes(of: col, as: SIMD16<Float>.self)
            }
        }
    }

    /// Packs `alpha·op(A)[ic..<ic+mb, pc..<pc+kb]` into panels of 8 rows: panel q holds, for each
    /// depth index, 8 consecutive floats (zero-padded past `mb`).
    @inline(__always)
    static func packA(_ ta: Bool, _ a: UnsafePointer<Float>, _ lda: Int, _ ic: Int, _ pc: Int,
                      _ mb: Int, _ kb: Int, _ alpha: Float, _ out: UnsafeMutablePointer<Float>) {
        var q = 0
        while q < mb {
            let rows = min(mr, mb - q)
            let panel = out + q * kb
            if !ta {
                if rows < mr {
                    for kk in 0..<kb { for i in rows..<mr { panel[kk * mr + i] = 0 } }
                }
                for i in 0..<rows {
                    let src = a + (ic + q + i) * lda + pc
                    if alpha == 1 {
                        for kk in 0..<kb { panel[kk * mr + i] = src[kk] }
                    } else {
                        for kk in 0..<kb { panel[kk * mr + i] = alpha * src[kk] }
                    }
                }
            } else {
                // op(A) = Aᵀ: element (i, kk) is a[(pc+kk)·lda + ic+q+i]: contiguous in i.
                for kk in 0..<kb {
                    let src = a + (pc + kk) * lda + ic + q
                    let dst = panel + kk * mr
                    if rows == mr && alpha == 1 {
                        UnsafeMutableRawPointer(dst).storeBytes(
                            of: UnsafeRawPointer(src).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                    } else {
                        for i in 0..<rows { dst[i] = alpha * src[i] }
                        for i in rows..<mr { dst[i] = 0 }
                    }
                }
            }
            q += mr
        }
    }

    /// Eight rows of op(A) as the micro-kernel reads them: `value(i, kk)` is row `i`, depth `kk`.
    protocol RowPanel {
        func value(_ i: Int, _ kk: Int) -> Float
    }

    /// A packed `8 × kb` panel (`packA`): depth-major, eight rows side by side.
    struct PackedRows: RowPanel {
        let pointer: UnsafePointer<Float>
        init(_ pointer: UnsafePointer<Float>) { self.pointer = pointer }
        @inline(__always) func value(_ i: Int, _ kk: Int) -> Float { pointer[kk &* 8 &+ i] }
    }

    /// Eight rows of a row-major A read where they are (`lda` apart).
    struct RowsInPlace: RowPanel {
        let pointer: UnsafePointer<Float>
        let lda: Int
        init(_ pointer: UnsafePointer<Float>, _ lda: Int) { (self.pointer, self.lda) = (pointer, lda) }
        @inline(__always) func value(_ i: Int, _ kk: Int) -> Float { pointer[i &* lda &+ kk] }
    }

    /// One tile of C: the register kernel when it is a whole 8×32 tile, the edge path otherwise.
    @inline(__always)
    static func tile<A: RowPanel>(_ kb: Int, _ a: A, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                                  _ accumulate: Bool, _ rows: Int, _ cols: Int) {
        if rows == mr && cols == nr {
            kernel8x32(kb, a, b, c, ldc, accumulate)
        } else if rows < mr - 1 {
            // Few rows (batch 1 to 6): two rows at a time instead of eight with the rest padding.
            var i = 0
            while i + 2 <= rows {
                kernelRows(kb, a, i, 2, b, c + i * ldc, ldc, accumulate, cols)
                i += 2
            }
            if i < rows { kernelRows(kb, a, i, 1, b, c + i * ldc, ldc, accumulate, cols) }
        } else {
            edgeKernel(kb, a, b, c, ldc, accumulate, rows, cols)
        }
    }

    /// One or two rows (`first`, `first + 1`) of a tile: per element the same FMA chain as
    /// `kernel8x32` (zero, then `fma(a, b, acc)` over the depth in order, then stored or added to
    /// C), so the same bits, without the FMAs of padded rows. Latency-bound (two or four
    /// independent chains), which still beats eight rows' worth of FMAs below seven rows.
    @inline(never)
    static func kernelRows<A: RowPanel>(_ kb: Int, _ a: A, _ first: Int, _ count: Int, _ b: UnsafePointer<Float>,
                                        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool, _ cols: Int) {
        var c00 = SIMD16<Float>(), c01 = SIMD16<Float>()
        var c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
        var pb = UnsafeRawPointer(b)
        if count == 2 {
            for kk in 0..<kb {
                let b0 = pb.load(as: SIMD16<Float>.self)
                let b1 = pb.load(fromByteOffset: 64, as: SIMD16<Float>.self)
                var s = SIMD16<Float>(repeating: a.value(first, kk)); c00.addProduct(s, b0); c01.addProduct(s, b1)
                s = SIMD16<Float>(repeating: a.value(first + 1, kk)); c10.addProduct(s, b0); c11.addProduct(s, b1)
                pb += 128
            }
        } else {
            for kk in 0..<kb {
                let b0 = pb.load(as: SIMD16<Float>.self)
                let b1 = pb.load(fromByteOffset: 64, as: SIMD16<Float>.self)
                let s = SIMD16<Float>(repeating: a.value(first, kk)); c00.addProduct(s, b0); c01.addProduct(s, b1)
                pb += 128
            }
        }
        @inline(__always)
        func store(_ row: UnsafeMutablePointer<Float>, _ v0: SIMD16<Float>, _ v1: SIMD16<Float>) {
            if cols == nr {
                storeTileRow(row, v0, v1, accumulate)
            } else {
                for j in 0..<cols {
                    let v = j < 16 ? v0[j] : v1[j - 16]
                    if accumulate { row[j] += v } else { row[j] = v }
                }
            }
        }
        store(c, c00, c01)
        if count == 2 { store(c + ldc, c10, c11) }
    }

    /// The 8×32 register tile: 16 `SIMD16<Float>` accumulators, two B vectors and one broadcast
    /// per FMA row. `a` gives eight rows of depth `kb`, `b` is a kb×32 packed panel.
    @inline(__always)
    static func kernel8x32<A: RowPanel>(_ kb: Int, _ a: A, _ b: UnsafePointer<Float>,
                                        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool) {
        var c00 = SIMD16<Float>(), c01 = SIMD16<Float>()
        var c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
        var c20 = SIMD16<Float>(), c21 = SIMD16<Float>()
        var c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
        var c40 = SIMD16<Float>(), c41 = SIMD16<Float>()
        var c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
        var c60 = SIMD16<Float>(), c61 = SIMD16<Float>()
        var c70 = SIMD16<Float>(), c71 = SIMD16<Float>()
        var pb = UnsafeRawPointer(b)
        for kk in 0..<kb {
            let b0 = pb.load(as: SIMD16<Float>.self)
            let b1 = pb.load(fromByteOffset: 64, as: SIMD16<Float>.self)
            var s = SIMD16<Float>(repeating: a.value(0, kk)); c00.addProduct(s, b0); c01.addProduct(s, b1)
            s = SIMD16<Float>(repeating: a.value(1, kk)); c10.addProduct(s, b0); c11.addProduct(s, b1)
            s = SIMD16<Float>(repeating: a.value(2, kk)); c20.addProduct(s, b0); c21.addProduct(s, b1)
            s = SIMD16<Float>(repeating: a.value(3, kk)); c30.addProduct(s, b0); c31.addProduct(s, b1)
            s = SIMD16<Float>(repeating: a.value(4, kk)); c40.addProduct(s, b0); c41.addProduct(s, b1)
            s = SIMD16<Float>(repeating: a.value(5, kk)); c50.addProduct(s, b0); c51.addProduct(s, b1)
            s = SIMD16<Float>(repeating: a.value(6, kk)); c60.addProduct(s, b0); c61.addProduct(s, b1)
            s = SIMD16<Float>(repeating: a.value(7, kk)); c70.addProduct(s, b0); c71.addProduct(s, b1)
            pb += 128
        }
        @inline(__always)
        func store(_ row: Int, _ v0: SIMD16<Float>, _ v1: SIMD16<Float>) { storeTileRow(c + row * ldc, v0, v1, accumulate) }
        store(0, c00, c01); store(1, c10, c11); store(2, c20, c21); store(3, c30, c31)
        store(4, c40, c41); store(5, c50, c51); store(6, c60, c61); store(7, c70, c71)
    }

    /// One row of 32 accumulated values into C: stored, or added to what C holds.
    @inline(__always)
    static func storeTileRow(_ row: UnsafeMutablePointer<Float>, _ v0: SIMD16<Float>, _ v1: SIMD16<Float>, _ accumulate: Bool) {
        let p = UnsafeMutableRawPointer(row)
        if accumulate {
            p.storeBytes(of: p.loadUnaligned(as: SIMD16<Float>.self) + v0, as: SIMD16<Float>.self)
            p.storeBytes(of: p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) + v1,
                         toByteOffset: 64, as: SIMD16<Float>.self)
        } else {
            p.storeBytes(of: v0, as: SIMD16<Float>.self)
            p.storeBytes(of: v1, toByteOffset: 64, as: SIMD16<Float>.self)
        }
    }

    /// A partial tile: run the full kernel into a scratch tile, then copy the valid part. Rows in
    /// place are whole tiles' rows, so only `cols` can be short for them.
    @inline(never)
    static func edgeKernel<A: RowPanel>(_ kb: Int, _ a: A, _ b: UnsafePointer<Float>,
                                        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool,
                                        _ rows: Int, _ cols: Int) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: mr * nr) { tile in
            let t = tile.baseAddress!
            kernel8x32(kb, a, b, t, nr, false)
            for i in 0..<rows {
                let dst = c + i * ldc
                let src = t + i * nr
                if accumulate {
                    for j in 0..<cols { dst[j] += src[j] }
                } else {
                    for j in 0..<cols { dst[j] = src[j] }
                }
            }
        }
    }
}

/// A raw pointer that may cross into worker threads: the caller guarantees disjoint writes.
struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

/// A 64-byte-aligned scratch buffer (packed panels are read with aligned vector loads).
struct AlignedBuffer {
    let pointer: UnsafeMutablePointer<Float>
    init(count: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }
    func free() { pointer.deallocate() }
}
