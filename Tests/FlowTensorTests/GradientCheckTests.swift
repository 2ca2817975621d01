import FlowTensor
import Testing

/// Every op's backward rule against central finite differences, on random shapes (with
/// broadcasting where the op broadcasts). Each test runs several seeds.
@Suite struct GradientCheckTests {
    static let seeds: [UInt64] = [1, 2, 3, 4, 5]
    let checker = GradientChecker()

    func check(_ name: String, _ inputs: [Tensor], seed: UInt64, _ f: ([Tensor]) -> Tensor,
               checker custom: GradientChecker? = nil) {
        let problem = (custom ?? checker).mismatch(inputs, seed: seed, f)
        #expect(problem == nil, "\(name): \(problem ?? "")")
    }

    // MARK: broadcasting arithmetic

    @Test(arguments: seeds) func addSubMulDivGradientsMatchFiniteDifferencesWithBroadcasting(seed: UInt64) {
        var s = ShapeSampler(seed: seed)
        let shape = s.shape(rank: 1 + Int(seed % 3))
        let other = s.broadcastable(to: shape)
        let a = s.normal(shape), b = s.normal(other), c = s.positive(other)
        check("add", [a, b], seed: seed) { $0[0] + $0[1] }
        check("add reversed", [b, a], seed: seed) { $0[0] + $0[1] }
        check("sub", [a, b], seed: seed) { $0[0] - $0[1] }
        check("sub reversed", [b, a], seed: seed) { $0[0] - $0[1] }
        check("mul", [a, b], seed: seed) { $0[0] * $0[1] }
        check("mul reversed", [b, a], seed: seed) { $0[0] * $0[1] }
        check("div", [a, c], seed: seed) { $0[0] / $0[1] }
        check("div reversed", [c, a.abs() + 0.5], seed: seed) { $0[0] / $0[1] }
        check("neg", [a], seed: seed) { -$0[0] }
        check("scalar ops", [a], seed: seed) { (2 * $0[0] + 1) / 3 - 0.5 }
    }

    @Test(arguments: seeds) func minimumMaximumGradientsMatchFiniteDifferences(seed: UInt64) {
        var s = ShapeSampler(seed: seed)
        let shape = s.shape(rank: 2)
        let other = s.broadcastable(to: shape)
        let a = s.normal(shape)
        // Keep |a − b| well above the finite-difference step so no element sits on the kink.
        var b = s.normal(other)
        let bb = b.broadcast(to: shape)
        if zip(a.scalars, bb.scalars).contains(where: { abs($0 - $1) < 0.05 }) { b = b + 0.13 }
        if zip(a.scalars, b.broadcast(to: shape).scalars).contains(where: { abs($0 - $1) < 0.05 }) { return }
        check("minimum", [a, b], seed: seed) { minimum($0[0], $0[1]) }
        check("maximum", [a, b], seed: seed) { maximum($0[0], $0[1]) }
    }

    // MARK: unary functions

    @Test(arguments: seeds) func smoothUnaryGradientsMatchFiniteDifferences(seed: UInt64) {
        var s = ShapeSampler(seed: seed)
        let shape = s.shape(rank: 1 + Int(seed % 3))
        let x = s.normal(shape), p = s.positive(shape)
        check("exp", [x], seed: seed) { $0[0].exp() }
        check("log", [p], seed: seed) { $0[0].log() }
        check("sqrt", [p], seed: seed) { $0[0].sqrt() }
        check("square", [x], seed: seed) { $0[0].square() }
        check("tanh", [x], seed: seed) { $0[0].tanh() }
        check("sigmoid", [x * 3], seed: seed) { $0[0].sigmoid() }
        check("silu", [x * 2], seed: seed) { $0[0].silu() }
        check("gelu", [x * 2], seed: seed) { $0[0].gelu() }
        check("softplus", [x * 3], seed: seed) { $0[0].softplus() }
        check("pow", [p], seed: seed) { $0[0].pow(1.7) }
    }

    @Test(arguments: seeds) func kinkedUnaryGradientsMatchFiniteDifferencesAwayFromKinks(seed: UInt64) {
        var s = ShapeSampler(seed: seed)
        let shape = s.shape(rank: 2)
        let x = s.awayFromZero(shape)
        check("relu", [x], seed: seed) { $0[0].relu() }
        check("abs", [x], seed: seed) { $0[0].abs() }
        // Clamp bounds at ±0.5 with inputs kept ≥ 0.05 away from them.
        let y = Tensor(x.scalars.map { abs(abs($0) - 0.5) < 0.05 ? $0 * 1.3 : $0 }, shape: shape)
        check("clamp", [y], seed: seed) { $0[0].clamped(min: -0.5, max: 0.5) }
    }

    @Test func straightThroughClampPassesGradientOutsideBounds() {
        let x = Tensor([-3, -0.2, 0.1, 4], shape: [4])
        let (v, g) = valueAndGrad(at: [x]) { ($0[0].clampedStraightThrough(min: -1, max: 1) * 2).sum() }
        #expect(abs(v.item - 2 * (-1 - 0.2 + 0.1 + 1)) < 1e-6)
        #expect(g[0].scalars == [2, 2, 2, 2])
        let (_, plain) = valueAndGrad(at: [x]) { ($0[0].clamped(min: -1, max: 1) * 2).sum() }
        #expect(plain[0].scalars == [0, 2, 2, 0])
    }

    // MARK: reductions

    @Test(arguments: seeds) func sumMeanGradientsMatchFiniteDifferencesOverAnyAxes(seed: UInt64) {
        var s = ShapeSampler(seed: seed)
        let shape = s.shape(rank: 3)
        let x = s.normal(shape)
        check("sum all", [x], seed: seed) { $0[0].sum() }
        check("mean all", [x], seed: seed) { $0[0].mean() }
        for axes in [[0], [1], [2], [0, 2], [1, 2], [-1]] {
            check("sum \(axes)", [x], seed: seed) { $0[0].sum(axes: axes) }
            check("sum keepDims \(axes)", [x], seed: seed) { $0[0].sum(axes: axes, keepDims: true) }
            check("mean \(axes)", [x], seed: seed) { $0[0].mean(axes: axes) }
        }
    }

    @Test(arguments: seeds) func maxLogSumExpSoftmaxGradientsMatchFiniteDifferences(seed: UInt64) {
        var s = ShapeSampler(seed: seed)
        let shape = s.shape(rank: 3)
        // Distinct values (spaced ≥ 0.1 apart) so the arg-max does not change under perturbation.
        let n = Tensor.count(of: shape)
        var order = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, s.rng.nextInt(below: i + 1)) }
        let x = Tensor(order.map { Float($0) * 0.1 - Float(n) * 0.05 }, shape: shape)
        for axis in 0..<3 {
            check("max axis \(axis)", [x], seed: seed) { $0[0].max(axis: axis) }
            check("logsumexp axis \(axis)", [x], seed: seed) { $0[0].logSumExp(axis: axis) }
            check("softmax axis \(axis)", [x], seed: seed) { $0[0].softmax(axis: axis) }
            check("logsoftmax axis \(axis)", [x], seed: seed) { $0[0].logSoftmax(axis: axis) }
        }
    }

    @Test(arguments: seeds) func layerNormGradientMatchesFiniteDifferences(seed: UInt64) {
        var s = ShapeSampler(seed: seed)
        let shape = s.shape(rank: 2) + [3 + Int(seed)]
        let x = s.normal(shape, std: 2)
        check("layerNorm", [x], seed: seed) { $0[0].layerNorm() }
    }

    // MARK: linear algebra

    @Test(arguments: seeds) func matmulGradientsMatchFiniteDifferencesForAllTransposes(seed: UInt64) {
        var s = ShapeSampler(seed: seed)
        let m = 1 + s.rng.nextInt(below: 5), k = 1 + s.rng.nextInt(below: 5), n = 1 + s.rng.nextInt(below: 5)
        for ta in [false, true] {
            for tb in [false, true] {
                let a = s.normal(ta ? [k, m] : [m, k]), b = s.normal(tb ? [n, k] : [k, n])
                check("matmul ta=\(ta) tb=\(tb)", [a, b], seed: seed) {
                    matmul($0[0], $0[1], transposeA: ta, transposeB: tb)
                }
                let batch = 1 + s.rng.nextInt(below: 3)
                let ab = s.normal([batch] + (ta ? [k, m] : [m, k]))
                let bb = s.normal([batch] + (tb ? [n, k] : [k, n]))
                check("batched matmul ta=\(ta) tb=\(tb)", [ab, bb], seed: seed) {
                    matmul($0[0], $0[1], transposeA: ta, transposeB: tb)
                }
                check("batched·shared ta=\(ta) tb=\(tb)", [ab, b], seed: seed) {
                    matmul($0[0], $0[1], transposeA: ta, transposeB: tb)
                }
                check("shared·batched ta=\(ta) tb=\(tb)", [a, bb], seed: seed) {
                    matmul($0[0], $0[1], transposeA: ta, transposeB: tb)
                }
            }
        }
    }

    @Test(arguments: seeds) func fusedLinearGradientsMatchFiniteDifferencesForEveryActivation(seed: UInt64) {
        var s = ShapeSampler(seed: seed)
        let inF = 1 + s.rng.nextInt(below: 5), outF = 1 + s.rng.nextInt(below: 5)
        let x = s.normal([2, 1 + s.rng.nextInt(below: 3), inF])
        let w = s.normal([outF, inF]), b = s.normal([outF])
        for act in Activation.allCases {
            // relu has a kink at 0: shift the bias so no pre-activation sits within the step of it.
            let (x0, w0, b0) = (x, w, act == .relu ? b : b)
            let pre = linear(x0, weight: w0, bias: b0).scalars
            if act == .relu && pre.contains(where: { abs($0) < 0.05 }) { continue }
            check("linear \(act)", [x0, w0, b0], seed: seed) { linear($0[0], weight: $0[1], bias: $0[2], activation: act) }
            check("linear \(act) no bias", [x0, w0], seed: seed) { linear($0[0], weight: $0[1], bias: nil, activation: act) }
        }
    }

    // MARK: shape ops

    @Test(arguments: seeds) func shapeOpGradientsMatchFiniteDifferences(seed: UInt64) {
        var s = ShapeSampler(seed: seed)
        let shape = s.shape(rank: 3, maxExtent: 4)
        let x = s.normal(shape)
        check("reshape", [x], seed: seed) { $0[0].reshaped([-1]) * $0[0].reshaped([-1]) }
        check("transposed", [x], seed: seed) { $0[0].transposed() }
        check("permute 2,0,1", [x], seed: seed) { $0[0].permuted([2, 0, 1]) }
        check("permute 1,0,2", [x], seed: seed) { $0[0].permuted([1, 0, 2]) }
        let n1 = shape[1]
        check("slice", [x], seed: seed) { $0[0].slice(axis: 1, (n1 / 2)..<n1) }
        let y = s.normal([shape[0], 2, shape[2]])
        check("concat", [x, y], seed: seed) { Tensor.concat([$0[0], $0[1], $0[0]], axis: 1) }
        check("split", [x], seed: seed) { t in
            let parts = t[0].split(sizes: [n1 / 2, n1 - n1 / 2], axis: 1)
            return Tensor.concat([parts[1] * 2, parts[0] * 3], axis: 1)
        }
        let indices = (0..<5).map { _ in s.rng.nextInt(below: shape[0]) }
        check("gatherRows", [x], seed: seed) { $0[0].gatherRows(indices) }
        check("broadcast", [s.normal([1, shape[2]])], seed: seed) { $0[0].broadcast(to: shape) }
    }

    @Test(arguments: seeds) func selectGradientFlowsOnlyIntoTheChosenBranch(seed: UInt64) {
        var s = ShapeSampler(seed: seed)
        let shape = s.shape(rank: 2)
        let mask = s.normal(shape).greater(Tensor(0))
        let a = s.normal(shape), b = s.normal(s.broadcastable(to: shape))
        check("select", [a, b], seed: seed) { Tensor.select(mask, $0[0], $0[1]) }
        // An infinite value in the unchosen branch must not poison the gradient.
        let bad = Tensor(repeating: .infinity, shape: shape)
        let all = Tensor.ones(shape)
        let (_, g) = valueAndGrad(at: [a, bad]) { Tensor.select(all, $0[0], $0[1]).sum() }
        #expect(g[0].scalars.allSatisfy { $0 == 1 })
        #expect(g[1].scalars.allSatisfy { $0 == 0 })
    }

    @Test func compositeChainGradientMatchesFiniteDifferences() {
        var s = ShapeSampler(seed: 42)
        let x = s.normal([3, 4]), w = s.normal([5, 4]), b = s.normal([5])
        check("mlp chain", [x, w, b], seed: 42) { p in
            let h = linear(p[0], weight: p[1], bias: p[2], activation: .tanh).layerNorm()
            return (h.softmax(axis: -1) * h).sum(axis: 1).square().mean()
        }
    }
}
