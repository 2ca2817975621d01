import FlowTensor
import Testing

@Suite struct AutodiffTests {
    @Test func opsOutsideValueAndGradRecordNoGraph() {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randomNormal([4, 8], rng: &rng), w = Tensor.randomNormal([8, 8], rng: &rng)
        let y = linear(x, weight: w, bias: nil, activation: .tanh).softmax().sum()
        #expect(!y.isTracked)
    }

    @Test func detachedTensorsStopGradients() {
        let x = Tensor([1, 2, 3])
        let (_, g) = valueAndGrad(at: [x]) { p in (p[0] * p[0].detached()).sum() }
        #expect(g[0].scalars == [1, 2, 3])
    }

    @Test func inputsReusedManyTimesAccumulateTheirGradients() {
        let x = Tensor([2])
        let (v, g) = valueAndGrad(at: [x]) { p in (p[0] * p[0] * p[0] + p[0]).sum() }
        #expect(v.item == 10)
        #expect(g[0].item == 13)
    }

    @Test func unusedInputsGetZeroGradients() {
        let (_, g) = valueAndGrad(at: [Tensor([1, 2]), Tensor([3])]) { p in p[0].sum() }
        #expect(g[1].scalars == [0])
        #expect(g[0].scalars == [1, 1])
    }

    @Test func vjpSeedsTheBackwardPassWithTheCotangent() {
        let x = Tensor([1, 2, 3])
        let (_, g) = vjp(at: [x], cotangent: Tensor([1, 10, 100])) { p in p[0].square() }
        #expect(g[0].scalars == [2, 40, 600])
    }

    // Gradients are accumulated in place; a gradient that shares its buffer with the caller's
    // cotangent (the add rule passes it through to both inputs) must be copied, not written into.
    @Test func accumulatingGradientsLeavesTheCallersCotangentUntouched() {
        let cotangent = Tensor([1, 10, 100])
        let (_, g) = vjp(at: [Tensor([1, 2, 3]), Tensor([4, 5, 6])], cotangent: cotangent) { p in (p[0] + p[0]) + p[1] }
        #expect(g[0].scalars == [2, 20, 200])
        #expect(g[1].scalars == [1, 10, 100])
        #expect(cotangent.scalars == [1, 10, 100])
    }

    @Test func deepChainsDoNotOverflowTheStack() {
        let x = Tensor([1])
        let (_, g) = valueAndGrad(at: [x]) { p in
            var y = p[0]
            for _ in 0..<20_000 { y = y * 1.0 }
            return y.sum()
        }
        #expect(g[0].item == 1)
    }
}
