import FlowTensor
import Testing

/// The fused FiLM-and-activation op (`filmActivation`): the same values and gradients as the
/// unfused chain `act(x·(1 + γ) + β)`, `[γ, β] = p + q`, for every activation, with `q` per row or
/// one row shared by all rows, and gradients that match central finite differences.
@Suite struct FiLMActivationTests {
    /// (rows, width): a width below one vector, one with a partial tail, and a multiple of 16.
    static let cases: [(rows: Int, width: Int)] = [(3, 5), (5, 37), (4, 48)]
    static let activations = Activation.allCases
    static let sharedTime = [false, true]

    static func inputs(rows: Int, width: Int, sharedTime: Bool, seed: UInt64) -> [Tensor] {
        var rng = RandomGenerator(seed: seed)
        let x = Tensor.randomNormal([rows, width], rng: &rng)
        let p = Tensor.randomNormal([rows, 2 * width], std: 0.5, rng: &rng)
        let q = Tensor.randomNormal([sharedTime ? 1 : rows, 2 * width], std: 0.5, rng: &rng)
        return [x, p, q]
    }

    /// The chain as `VelocityNetwork` wrote it before the fused op.
    static func unfused(_ t: [Tensor], _ act: Activation) -> Tensor {
        let w = t[0].shape[t[0].rank - 1]
        let gammaBeta = (t[1] + t[2]).split(sizes: [w, w], axis: -1)
        return act(t[0] * (1 + gammaBeta[0]) + gammaBeta[1])
    }

    static func fused(_ t: [Tensor], _ act: Activation) -> Tensor {
        filmActivation(t[0], modulation: t[1], plus: t[2], activation: act)
    }

    @Test(arguments: activations, sharedTime)
    func fusedValuesAreBitIdenticalToTheUnfusedChain(activation: Activation, sharedTime: Bool) {
        for (i, c) in Self.cases.enumerated() {
            let t = Self.inputs(rows: c.rows, width: c.width, sharedTime: sharedTime, seed: UInt64(10 + i))
            let fused = Self.fused(t, activation), plain = Self.unfused(t, activation)
            #expect(fused.shape == plain.shape)
            #expect(fused.scalars == plain.scalars, "\(activation) \(c): fused values differ from the unfused chain")
        }
    }

    @Test(arguments: activations, sharedTime)
    func fusedGradientsAreBitIdenticalToTheUnfusedChain(activation: Activation, sharedTime: Bool) {
        for (i, c) in Self.cases.enumerated() {
            let t = Self.inputs(rows: c.rows, width: c.width, sharedTime: sharedTime, seed: UInt64(20 + i))
            var rng = RandomGenerator(seed: UInt64(30 + i))
            let cot = Tensor.randomNormal([c.rows, c.width], rng: &rng)
            let fused = vjp(at: t, cotangent: cot) { Self.fused($0, activation) }.gradients
            let plain = vjp(at: t, cotangent: cot) { Self.unfused($0, activation) }.gradients
            for (name, (a, b)) in zip(["x", "p", "q"], zip(fused, plain)) {
                #expect(a.shape == b.shape, "\(activation) \(c) d\(name) shape")
                #expect(a.scalars == b.scalars, "\(activation) \(c): d\(name) differs from the unfused chain")
            }
        }
    }

    @Test(arguments: activations, sharedTime)
    func fusedGradientsMatchFiniteDifferences(activation: Activation, sharedTime: Bool) {
        var checked = 0
        for seed: UInt64 in 1...3 {
            var t = Self.inputs(rows: 3, width: 5 + Int(seed) * 6, sharedTime: sharedTime, seed: 40 + seed)
            if activation == .relu {
                // Keep every pre-activation ≥ 0.05 from relu's kink so the step never crosses it.
                let pre = Self.unfused(t, .identity).scalars
                let x = zip(t[0].scalars, pre).map { x, s in abs(s) < 0.05 ? x + (x >= 0 ? 0.3 : -0.3) : x }
                t[0] = Tensor(x, shape: t[0].shape)
                if Self.unfused(t, .identity).scalars.contains(where: { abs($0) < 0.05 }) { continue }
            }
            let problem = GradientChecker().mismatch(t, seed: seed) { Self.fused($0, activation) }
            #expect(problem == nil, "\(activation) shared time \(sharedTime): \(problem ?? "")")
            checked += 1
        }
        #expect(checked > 0, "every seed put a pre-activation on relu's kink")
    }

    @Test func partlyTrackedCallsGiveTheTrackedInputsTheSameGradients() {
        // The backward pass skips the outputs nobody needs; what it still writes must not change.
        let t = Self.inputs(rows: 4, width: 20, sharedTime: true, seed: 50)
        let both = valueAndGrad(at: t) { Self.fused($0, .silu).sum() }.gradients
        let onlyQ = valueAndGrad(at: [t[2]]) { Self.fused([t[0], t[1], $0[0]], .silu).sum() }.gradients
        #expect(onlyQ[0].scalars == both[2].scalars)
        let onlyX = valueAndGrad(at: [t[0]]) { Self.fused([$0[0], t[1], t[2]], .silu).sum() }.gradients
        #expect(onlyX[0].scalars == both[0].scalars)
        let onlyP = valueAndGrad(at: [t[1]]) { Self.fused([t[0], $0[0], t[2]], .silu).sum() }.gradients
        #expect(onlyP[0].scalars == both[1].scalars)
    }

    // Row-indexed modulation (`filmActivation(_:modulation:rows:plus:rows:activation:)`): each row of
    // `x` reads its projection rows through an index, as FPO's pairs read their chunk's projection.

    /// `x` of 7 rows reading 3 `p` rows (pairs of a chunk, out of order) and 2 `q` rows (flow times).
    static let pRows = [0, 0, 2, 1, 2, 2, 0], qRows = [1, 0, 0, 1, 1, 0, 1]

    static func indexedInputs(width: Int, seed: UInt64) -> [Tensor] {
        var rng = RandomGenerator(seed: seed)
        return [Tensor.randomNormal([pRows.count, width], rng: &rng),
                Tensor.randomNormal([3, 2 * width], std: 0.5, rng: &rng),
                Tensor.randomNormal([2, 2 * width], std: 0.5, rng: &rng)]
    }

    static func indexed(_ t: [Tensor], _ act: Activation, indexQ: Bool = true) -> Tensor {
        filmActivation(t[0], modulation: t[1], rows: pRows, plus: t[2], rows: indexQ ? qRows : nil, activation: act)
    }

    static func gatheredFirst(_ t: [Tensor], _ act: Activation, indexQ: Bool = true) -> Tensor {
        fused([t[0], t[1].gatherRows(pRows), indexQ ? t[2].gatherRows(qRows) : t[2]], act)
    }

    @Test(arguments: activations)
    func indexedRowsGiveValuesAndGradientsBitIdenticalToGatheringFirst(activation: Activation) {
        for (i, width) in [5, 37, 48].enumerated() {
            let t = Self.indexedInputs(width: width, seed: UInt64(60 + i))
            let a = Self.indexed(t, activation), b = Self.gatheredFirst(t, activation)
            #expect(a.scalars == b.scalars, "\(activation) w=\(width): indexed values differ from gathered")
            var rng = RandomGenerator(seed: UInt64(70 + i))
            let cot = Tensor.randomNormal(a.shape, rng: &rng)
            let ga = vjp(at: t, cotangent: cot) { Self.indexed($0, activation) }.gradients
            let gb = vjp(at: t, cotangent: cot) { Self.gatheredFirst($0, activation) }.gradients
            for (name, (x, y)) in zip(["x", "p", "q"], zip(ga, gb)) {
                #expect(x.shape == y.shape, "\(activation) w=\(width) d\(name) shape")
                #expect(x.scalars == y.scalars, "\(activation) w=\(width): d\(name) differs from gathering first")
            }
        }
    }

    @Test func indexedModulationWithPerRowOrSharedTimeMatchesGatheringFirst() {
        // Only p indexed; q per row (7 rows) or one shared row.
        var rng = RandomGenerator(seed: 80)
        let x = Tensor.randomNormal([7, 20], rng: &rng), p = Tensor.randomNormal([3, 40], std: 0.5, rng: &rng)
        for q in [Tensor.randomNormal([7, 40], std: 0.5, rng: &rng), Tensor.randomNormal([1, 40], std: 0.5, rng: &rng)] {
            let t = [x, p, q]
            let f: ([Tensor]) -> Tensor = { filmActivation($0[0], modulation: $0[1], rows: Self.pRows, plus: $0[2], rows: nil, activation: .silu) }
            let g: ([Tensor]) -> Tensor = { Self.fused([$0[0], $0[1].gatherRows(Self.pRows), $0[2]], .silu) }
            #expect(f(t).scalars == g(t).scalars)
            let cot = Tensor.randomNormal([7, 20], rng: &rng)
            let ga = vjp(at: t, cotangent: cot, f).gradients, gb = vjp(at: t, cotangent: cot, g).gradients
            for (a, b) in zip(ga, gb) { #expect(a.shape == b.shape && a.scalars == b.scalars) }
        }
    }

    @Test(arguments: [Activation.silu, .tanh, .identity])
    func indexedGradientsMatchFiniteDifferences(activation: Activation) {
        for seed: UInt64 in 1...2 {
            let t = Self.indexedInputs(width: 5 + Int(seed) * 6, seed: 90 + seed)
            let problem = GradientChecker().mismatch(t, seed: seed) { Self.indexed($0, activation) }
            #expect(problem == nil, "\(activation): \(problem ?? "")")
        }
    }
}
