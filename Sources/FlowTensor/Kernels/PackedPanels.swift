import Synchronization

extension SGEMM {
    /// A `k × n` B operand packed once into SGEMM's column panels, for every call that multiplies
    /// by it: a layer's weight in `x·Wᵀ`, which a sampler multiplies by K times per chunk and the
    /// rollout every step, packed once per update instead of once per call. At batch 1 the packing
    /// (a transposing copy of the whole weight) cost several times the multiply-adds.
    ///
    /// Layout: depth blocks of `kc` one after another; in each, one `kb × 32` panel per 32 columns,
    /// exactly as `packB` lays out one block (zero-padded past `n`). The micro-kernels read the same
    /// values in the same order as from a per-call packing, so results are bit-identical.
    public final class PackedPanels: @unchecked Sendable {
        let transposed: Bool
        let source: UnsafePointer<Float>
        let ldb: Int, k: Int, n: Int
        let panelCount: Int
        let buffer: AlignedBuffer

        public init(transposeB tb: Bool, b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int) {
            (transposed, source, self.ldb, self.k, self.n) = (tb, b, ldb, k, n)
            panelCount = (n + nr - 1) / nr
            buffer = AlignedBuffer(count: Swift.max(1, k * panelCount * nr))
            var pc = 0
            while pc < k {
                let kb = Swift.min(kc, k - pc)
                packB(tb, b, ldb, pc, 0, kb, n, buffer.pointer + pc * panelCount * nr)
                pc += kc
            }
        }

        deinit { buffer.free() }

        /// Whether these panels are `op(B)` of this call.
        func matches(transposeB tb: Bool, b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int) -> Bool {
            transposed == tb && source == b && self.ldb == ldb && self.k == k && self.n == n
        }

        /// The `kb × 32` panel of the columns from `column` (a multiple of 32) in the depth block at `pc`.
        @inline(__always)
        func panel(depth pc: Int, kb: Int, column: Int) -> UnsafePointer<Float> {
            UnsafePointer(buffer.pointer + pc * panelCount * nr + (column / nr) * kb * nr)
        }
    }
}

extension TensorStorage {
    /// These values as the B operand `Bᵀ` of `x·Bᵀ` for a `[n, k]` row-major matrix, packed on
    /// first use and kept until the next write (`Tensor.withUnsafeMutableBufferPointer` drops it).
    func packedAsTransposedOperand(rows n: Int, columns k: Int) -> SGEMM.PackedPanels {
        packed.withLock { cached in
            if let cached, cached.matches(transposeB: true, b: pointer, ldb: k, k: k, n: n) { return cached }
            let made = SGEMM.PackedPanels(transposeB: true, b: pointer, ldb: k, k: k, n: n)
            cached = made
            return made
        }
    }

    /// Called before every write into these values.
    func dropPacked() {
        packed.withLock { $0 = nil }
    }
}
