import FlowNN
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct OptimizerTests {
    @Test func adamWStepMatchesTheFormulaComputedInFloat64() {
        let p = Parameter(Tensor([0.5, -1.0, 2.0]))
        final class Holder: Module { let p: Parameter; init(_ p: Parameter) { self.p = p } }
        let model = Holder(p)
        let opt = AdamW(schedule: .constant(0.1), betas: (0.9, 0.95), eps: 1e-8, weightDecay: 0.01)
        let grads: [[Double]] = [[0.1, -0.2, 0.3], [0.05, 0.1, -0.4], [1, 1, 1]]
        var ref: [Double] = [0.5, -1.0, 2.0], m = [0.0, 0, 0], v = [0.0, 0, 0]
        for (t, g) in grads.enumerated() {
            opt.update(model, gradients: Gradients(names: ["p"], tensors: ["p": Tensor(g.map(Float.init))]))
            for i in 0..<3 {
                m[i] = 0.9 * m[i] + 0.1 * g[i]
                v[i] = 0.95 * v[i] + 0.05 * g[i] * g[i]
                let mh = m[i] / (1 - pow(0.9, Double(t + 1))), vh = v[i] / (1 - pow(0.95, Double(t + 1)))
                ref[i] -= 0.1 * (mh / (vh.squareRoot() + 1e-8) + 0.01 * ref[i])
            }
        }
        for i in 0..<3 { #expect(abs(Double(p.value.scalars[i]) - ref[i]) < 1e-5) }
        #expect(opt.step == 3)
    }

    @Test(arguments: [true, false])
    func adamWUpdatesEveryElementWithTheScalarFormulasBits(decoupled: Bool) {
        // Lengths around the 16-lane blocks; the scalar loop below is the update as written in the
        // type's comment, evaluated in Float in the same order.
        final class Holder: Module { let p: Parameter; init(_ p: Parameter) { self.p = p } }
        var rng = RandomGenerator(seed: 11)
        for n in [1, 15, 16, 17, 33, 1000] {
            let start = rng.normals(n)
            let model = Holder(Parameter(Tensor(start)))
            let opt = AdamW(schedule: .constant(3e-3), betas: (0.9, 0.95), eps: 1e-8, weightDecay: 0.05,
                            decoupledWeightDecay: decoupled)
            var p = start, m = [Float](repeating: 0, count: n), v = m
            for t in 1...4 {
                let g = rng.normals(n, std: t == 3 ? 1e-3 : 1)  // one step of tiny gradients: eps matters
                opt.update(model, gradients: Gradients(names: ["p"], tensors: ["p": Tensor(g)]))
                let c1 = 1 - powf(0.9, Float(t)), c2 = 1 - powf(0.95, Float(t))
                for i in 0..<n {
                    var gi = g[i]
                    if !decoupled { gi += 0.05 * p[i] }
                    m[i] = 0.9 * m[i] + (1 - 0.9) * gi
                    v[i] = 0.95 * v[i] + (1 - 0.95) * gi * gi
                    let update = (m[i] / c1) / ((v[i] / c2).squareRoot() + 1e-8)
                    p[i] -= 3e-3 * (update + (decoupled ? 0.05 * p[i] : 0))
                }
            }
            let got = model.p.value.scalars
            #expect(got.map(\.bitPattern) == p.map(\.bitPattern), "n = \(n): \(zip(got, p).filter { $0.bitPattern != $1.bitPattern }.count) elements differ")
        }
    }

    @Test func adamWithL2AddsTheDecayToTheGradient() {
        final class Holder: Module { let p = Parameter(Tensor([1.0])) }
        let model = Holder()
        let opt = AdamW.adam(schedule: .constant(0.1), weightDecay: 0.5)
        opt.update(model, gradients: Gradients(names: ["p"], tensors: ["p": Tensor([0])]))
        // g = 0 + 0.5·1; first Adam step moves by lr·sign(g) = 0.1.
        #expect(abs(model.p.value.item - 0.9) < 1e-6)
    }

    @Test func schedulesWarmUpAndDecayToTheirFinalRate() {
        let cos = LearningRateSchedule.warmupCosine(peak: 1, warmupSteps: 10, totalSteps: 110, final: 0.1)
        #expect(cos.rate(at: 5) == 0.5)
        #expect(cos.rate(at: 10) == 1)
        #expect(abs(cos.rate(at: 60) - 0.55) < 1e-6)
        #expect(abs(cos.rate(at: 110) - 0.1) < 1e-6)
        #expect(abs(cos.rate(at: 1000) - 0.1) < 1e-6)
        let lin = LearningRateSchedule.warmupLinear(peak: 2, warmupSteps: 0, totalSteps: 100, final: 0)
        #expect(lin.rate(at: 50) == 1)
        #expect(LearningRateSchedule.constant(3e-4).rate(at: 12345) == 3e-4)
    }

    @Test func globalNormClippingScalesToTheBoundAndReportsThePreClipNorm() {
        var g = Gradients(names: ["a", "b"], tensors: ["a": Tensor([3, 0]), "b": Tensor([4])])
        #expect(g.clipGlobalNorm(1) == 5)
        #expect(abs(g.globalNorm - 1) < 1e-6)
        #expect(g["a"]!.scalars == [0.6, 0])
        var small = Gradients(names: ["a"], tensors: ["a": Tensor([0.1])])
        small.clipGlobalNorm(1)
        #expect(small["a"]!.scalars == [0.1])
    }

    static func train(seed: UInt64, steps: Int, model: MLP? = nil, optimizer: AdamW? = nil) -> (MLP, AdamW) {
        var rng = RandomGenerator(seed: seed)
        let model = model ?? MLP(widths: [4, 32, 32, 2], activation: .gelu, layerNorm: true, rng: &rng)
        let opt = optimizer ?? AdamW(schedule: .warmupCosine(peak: 1e-3, warmupSteps: 5, totalSteps: 50, final: 1e-4))
        var data = RandomGenerator(seed: seed &+ 99)
        for _ in 0..<steps {
            let x = Tensor.randomNormal([64, 4], rng: &data)
            let y = x.slice(axis: 1, 0..<2).sin3()
            var (_, grads) = valueAndGrad(model) { m in (m(x) - y).square().mean() }
            grads.clipGlobalNorm(1)
            opt.update(model, gradients: grads)
        }
        return (model, opt)
    }

    @Test func sameSeedGivesBitIdenticalParametersAfterManySteps() {
        let (a, _) = Self.train(seed: 7, steps: 30)
        let (b, _) = Self.train(seed: 7, steps: 30)
        let (c, _) = Self.train(seed: 8, steps: 30)
        #expect(a.parameterValues().mapValues(\.scalars) == b.parameterValues().mapValues(\.scalars))
        #expect(a.parameterValues().mapValues(\.scalars) != c.parameterValues().mapValues(\.scalars))
    }

    @Test func restoringOptimizerStateContinuesTrainingBitIdentically() throws {
        let (full, _) = Self.train(seed: 3, steps: 20)
        // 10 steps, export model + optimizer, rebuild both from the export, 10 more steps.
        let (half, opt) = Self.train(seed: 3, steps: 10)
        var rng = RandomGenerator(seed: 999)
        let resumed = MLP(widths: [4, 32, 32, 2], activation: .gelu, layerNorm: true, rng: &rng)
        try resumed.loadParameterValues(half.parameterValues())
        let opt2 = AdamW(schedule: .warmupCosine(peak: 1e-3, warmupSteps: 5, totalSteps: 50, final: 1e-4))
        try opt2.loadState(opt.stateTensors())
        #expect(opt2.step == 10)
        // The data stream of steps 11…20 in `train` is the continuation of the seed's stream:
        var data = RandomGenerator(seed: 3 &+ 99)
        for _ in 0..<10 { _ = Tensor.randomNormal([64, 4], rng: &data) }
        for _ in 0..<10 {
            let x = Tensor.randomNormal([64, 4], rng: &data)
            let y = x.slice(axis: 1, 0..<2).sin3()
            var (_, grads) = valueAndGrad(resumed) { m in (m(x) - y).square().mean() }
            grads.clipGlobalNorm(1)
            opt2.update(resumed, gradients: grads)
        }
        #expect(full.parameterValues().mapValues(\.scalars) == resumed.parameterValues().mapValues(\.scalars))
    }

    @Test func corruptOptimizerStateIsRejectedWithATypedError() {
        let opt = AdamW(schedule: .constant(1e-3))
        #expect(throws: OptimizerStateError.missingStep) { try opt.loadState([:]) }
        #expect(throws: OptimizerStateError.unexpectedEntry("junk")) {
            try opt.loadState(["step": Tensor([0, 1]), "junk": Tensor([1])])
        }
        #expect(throws: OptimizerStateError.self) {
            try opt.loadState(["step": Tensor([0, 1]), "m.a": Tensor([1])])
        }
    }
}

extension Tensor {
    /// A smooth nonlinear target for the tests: `x − x³/6` (a cubic, not a library op).
    func sin3() -> Tensor { self - self * self * self / 6 }
}
