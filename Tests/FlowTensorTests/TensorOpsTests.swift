import FlowTensor
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Forward values of the ops (gradients are in GradientCheckTests).
@Suite struct TensorOpsTests {
    @Test func vectorisedExpMatchesLibmWithinTwoUlpsAndHandlesEdges() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let t = Tensor([x]).exp().item
            let r = expf(x)
            worst = max(worst, abs(t - r) / r)
            x += 0.0137
        }
        #expect(worst < 3e-7, "worst relative error \(worst)")
        let edges = Tensor([-.infinity, .infinity, .nan, -200, 200, 0]).exp().scalars
        #expect(edges[0] == 0 && edges[1] == .infinity && edges[2].isNaN && edges[3] == 0 && edges[4] == .infinity && edges[5] == 1)
    }

    @Test func vectorSquareRootHasTheBitsOfFloatSquareRoot() {
        // Kernels.squareRoot (AdamW, Tensor.sqrt) must be exactly Float.squareRoot, lane by lane.
        var rng = RandomGenerator(seed: 5)
        var values: [Float] = [0, -0, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, .infinity, 1, 2, 4]
        for _ in 0..<4096 { values.append(rng.nextUniform() * powf(2, Float(rng.nextInt(below: 200)) - 100)) }
        while values.count % 16 != 0 { values.append(3) }
        for start in stride(from: 0, to: values.count, by: 16) {
            let lanes = SIMD16<Float>(values[start..<(start + 16)])
            let roots = Kernels.squareRoot(lanes)
            for k in 0..<16 { #expect(roots[k].bitPattern == lanes[k].squareRoot().bitPattern, "sqrt(\(lanes[k]))") }
        }
        let special = Kernels.squareRoot(SIMD16<Float>(repeating: -1))
        #expect(special[0].isNaN, "a negative number has no square root")
        #expect(Tensor(values).sqrt().scalars.map(\.bitPattern) == values.map { $0.squareRoot().bitPattern })
    }

    @Test func tanhAndSigmoidMatchLibmAndSaturateWithoutNaN() {
        var worstT: Float = 0, worstS: Float = 0
        for i in -2000...2000 {
            let x = Float(i) * 0.01
            worstT = max(worstT, abs(Tensor([x]).tanh().item - tanhf(x)))
            worstS = max(worstS, abs(Tensor([x]).sigmoid().item - 1 / (1 + expf(-x))))
        }
        #expect(worstT < 2e-7 && worstS < 2e-7, "tanh \(worstT) sigmoid \(worstS)")
        #expect(Tensor([1000, -1000]).sigmoid().scalars == [1, 0])
        #expect(Tensor([1000, -1000]).tanh().scalars == [1, -1])
        #expect(Tensor([1e-6]).tanh().item == 1e-6)
    }

    @Test func broadcastingArithmeticFollowsNumPyRules() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect((a + Tensor([10, 20, 30])).scalars == [11, 22, 33, 14, 25, 36])
        #expect((a * Tensor([2, 3], shape: [2, 1])).scalars == [2, 4, 6, 12, 15, 18])
        #expect((Tensor([1, 2], shape: [2, 1, 1]) - Tensor([1, 2, 3], shape: [1, 3])).shape == [2, 1, 3])
        #expect((a / 2).scalars == [0.5, 1, 1.5, 2, 2.5, 3])
        #expect(broadcastShapes([4, 1, 3], [5, 1]) == [4, 5, 3])
    }

    @Test func reductionsSoftmaxAndLayerNormComputeTheDefinitions() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(x.sum().item == 21)
        #expect(x.sum(axis: 0).scalars == [5, 7, 9])
        #expect(x.sum(axis: 1, keepDims: true).shape == [2, 1])
        #expect(x.mean(axis: 1).scalars == [2, 5])
        #expect(x.max(axis: 1).scalars == [3, 6])
        let lse = x.logSumExp(axis: 1).scalars
        #expect(abs(lse[0] - logf(expf(1) + expf(2) + expf(3))) < 1e-6)
        let sm = x.softmax(axis: 1).sum(axis: 1).scalars
        #expect(sm.allSatisfy { abs($0 - 1) < 1e-6 })
        let big = Tensor([1000, 1000]).logSumExp(axis: 0).item
        #expect(abs(big - (1000 + logf(2))) < 1e-3)
        let ln = x.layerNorm(eps: 0).scalars
        let expected: Float = 1.2247449
        #expect(abs(ln[0] + expected) < 1e-5 && abs(ln[2] - expected) < 1e-5)
    }

    @Test func shapeOpsMoveValuesCorrectly() {
        let x = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        #expect(x.transposed().shape == [2, 4, 3])
        #expect(x.transposed()[0, 1, 2] == x[0, 2, 1])
        let p = x.permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3] && p[3, 1, 2] == x[1, 2, 3])
        #expect(x.slice(axis: 2, 1..<3).scalars.prefix(4) == [1, 2, 5, 6])
        let parts = x.split(sizes: [1, 2], axis: 1)
        #expect(Tensor.concat(parts, axis: 1).scalars == x.scalars)
        #expect(x.gatherRows([1, 1, 0]).shape == [3, 3, 4])
        #expect(x.gatherRows([1])[0, 0, 0] == 12)
        #expect(x.reshaped([4, -1]).shape == [4, 6])
        let sel = Tensor.select(Tensor([1, 0, 1]), Tensor([1, 2, 3]), Tensor(9))
        #expect(sel.scalars == [1, 9, 3])
    }

    @Test func matmulMatchesNaiveProductIncludingBatches() {
        var rng = RandomGenerator(seed: 1)
        let a = Tensor.randomNormal([3, 4, 5], rng: &rng), b = Tensor.randomNormal([5, 2], rng: &rng)
        let c = matmul(a, b)
        #expect(c.shape == [3, 4, 2])
        var s: Float = 0
        for p in 0..<5 { s += a[2, 3, p] * b[p, 1] }
        #expect(abs(c[2, 3, 1] - s) < 1e-5)
        let bt = matmul(a, b.transposed(), transposeB: true)
        #expect(bt.scalars == c.scalars)
        let bb = Tensor.randomNormal([3, 5, 2], rng: &rng)
        let cb = matmul(a, bb)
        var s2: Float = 0
        for p in 0..<5 { s2 += a[1, 0, p] * bb[1, p, 1] }
        #expect(abs(cb[1, 0, 1] - s2) < 1e-5)
    }

    @Test func fusedLinearEqualsUnfusedComposition() {
        var rng = RandomGenerator(seed: 2)
        let x = Tensor.randomNormal([7, 33], rng: &rng), w = Tensor.randomNormal([19, 33], rng: &rng)
        let b = Tensor.randomNormal([19], rng: &rng)
        for act in Activation.allCases {
            let fused = linear(x, weight: w, bias: b, activation: act).scalars
            let plain = act(matmul(x, w, transposeB: true) + b).scalars
            let worst = zip(fused, plain).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-5, "\(act): \(worst)")
        }
    }

    // The fused layer's one-pass activation (whole vectors inline, the tail out of line) must give
    // the activation op's bits, tail included (19 × 7 = 133 values: 8 vectors and a tail of 5).
    @Test func fusedLinearActivationHasTheBitsOfTheActivationOp() {
        var rng = RandomGenerator(seed: 4)
        let x = Tensor.randomNormal([7, 33], std: 2, rng: &rng), w = Tensor.randomNormal([19, 33], rng: &rng)
        let b = Tensor.randomNormal([19], rng: &rng)
        let z = linear(x, weight: w, bias: b)
        for act in Activation.allCases {
            #expect(linear(x, weight: w, bias: b, activation: act).scalars == act(z).scalars, "\(act)")
        }
    }

    // A layer's weight is packed for the GEMM once and kept with its values; a write must drop it.
    @Test func writingAWeightDropsItsPackedCopy() {
        var rng = RandomGenerator(seed: 6)
        let x = Tensor.randomNormal([1, 33], rng: &rng)
        var w = Tensor.randomNormal([40, 33], rng: &rng)
        let before = linear(x, weight: w, bias: nil).scalars
        w.withUnsafeMutableBufferPointer { $0[0] += 1 }
        let after = linear(x, weight: w, bias: nil).scalars
        let fresh = linear(x, weight: Tensor(w.scalars, shape: w.shape), bias: nil).scalars
        #expect(after == fresh)
        #expect(after != before)
    }

    @Test func allFiniteFindsANaNOrInfinityAtEveryPosition() {
        let finite: [Float] = [0, -0, 1, -3.5, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               .leastNonzeroMagnitude, .leastNormalMagnitude]
        for n in [1, 15, 16, 17, 40] {
            let values = (0..<n).map { finite[$0 % finite.count] }
            #expect(values.withUnsafeBufferPointer { Kernels.allFinite($0.baseAddress!, n) }, "n=\(n)")
            for bad in [Float.nan, .infinity, -.infinity, -Float.nan] {
                for i in 0..<n {
                    var v = values
                    v[i] = bad
                    #expect(!v.withUnsafeBufferPointer { Kernels.allFinite($0.baseAddress!, n) }, "n=\(n) at \(i): \(bad)")
                }
            }
        }
    }

    @Test func elementValuesDoNotDependOnTheirPositionOrTheBatchSize() {
        // Rollout and update evaluate the same rows in batches of different sizes; a value must not
        // change with where it sits in the buffer (docs/algorithms.md §7), or first-minibatch ratios drift.
        var rng = RandomGenerator(seed: 8)
        let x = Tensor.randomNormal([37], std: 3, rng: &rng)
        let pad = Tensor.randomNormal([11], rng: &rng)
        let shifted = Tensor.concat([pad, x, pad], axis: 0)
        let ops: [(String, (Tensor) -> Tensor)] = [
            ("exp", { $0.exp() }), ("tanh", { $0.tanh() }), ("sigmoid", { $0.sigmoid() }),
            ("silu", { $0.silu() }), ("gelu", { $0.gelu() }), ("softplus", { $0.softplus() }),
        ]
        for (name, f) in ops {
            let alone = f(x).scalars
            let inside = Array(f(shifted).scalars[11..<48])
            #expect(alone == inside, "\(name) differs by position")
        }
    }

    @Test func vectorisedGeluMatchesTheErfDefinition() {
        var worst: Float = 0
        for i in -800...800 {
            let x = Float(i) * 0.01
            let ref = 0.5 * x * (1 + erff(x / Float(2).squareRoot()))
            worst = max(worst, abs(Tensor([x]).gelu().item - ref))
        }
        #expect(worst < 1e-6, "worst absolute error \(worst)")
    }
}
