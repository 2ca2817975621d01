import FlowNN
import Testing

final class TwoTower: Module {
    let encoder: MLP
    let head: Linear
    let extras: [Linear]
    let optionalNorm: LayerNorm?

    init(rng: inout RandomGenerator) {
        encoder = MLP(widths: [3, 8, 4], activation: .silu, layerNorm: true, rng: &rng)
        head = Linear(4, 2, rng: &rng)
        extras = [Linear(2, 2, bias: false, rng: &rng), Linear(2, 1, rng: &rng)]
        optionalNorm = LayerNorm(1)
    }
}

@Suite struct ModuleTests {
    @Test func parameterNamesInsideASubModuleAreItsParametersUnderTheirFullNames() {
        var rng = RandomGenerator(seed: 1)
        let model = TwoTower(rng: &rng)
        #expect(model.parameterNames(inside: model.head) == ["head.weight", "head.bias"])
        #expect(model.parameterNames(inside: model.extras[1]) == ["extras.1.weight", "extras.1.bias"])
        #expect(model.parameterNames(inside: model) == Set(model.namedParameters().map(\.name)))
    }

    @Test func restrictedGradientsKeepOnlyTheNamedParametersInDeclarationOrder() throws {
        var rng = RandomGenerator(seed: 2)
        let model = TwoTower(rng: &rng)
        let x = Tensor.randomNormal([4, 3], rng: &rng)
        let (_, grads) = try valueAndGrad(model) { m in m.head(m.encoder(x)).square().mean() }
        let kept = grads.restricted(to: model.parameterNames(inside: model.head).union(["encoder.layers.0.bias"]))
        #expect(kept.names == ["encoder.layers.0.bias", "head.weight", "head.bias"])
        #expect(Set(kept.tensors.keys) == Set(kept.names))
        for name in kept.names { #expect(kept[name]!.scalars == grads[name]!.scalars) }
    }

    @Test func parametersAreNamedByTheirNestedPropertyPathsInDeclarationOrder() {
        var rng = RandomGenerator(seed: 1)
        let model = TwoTower(rng: &rng)
        #expect(model.namedParameters().map(\.name) == [
            "encoder.layers.0.weight", "encoder.layers.0.bias", "encoder.layers.1.weight", "encoder.layers.1.bias",
            "encoder.norms.0.scale", "encoder.norms.0.shift",
            "head.weight", "head.bias", "extras.0.weight", "extras.1.weight", "extras.1.bias",
            "optionalNorm.scale", "optionalNorm.shift",
        ])
        #expect(model.parameterCount == (3 * 8 + 8) + (8 * 4 + 4) + 16 + (4 * 2 + 2) + 4 + (2 + 1) + 2)
    }

    @Test func freezingAPrefixRemovesExactlyThoseParametersFromTraining() {
        var rng = RandomGenerator(seed: 1)
        let model = TwoTower(rng: &rng)
        #expect(model.setFrozen(true, prefix: "encoder") == 6)
        #expect(model.setFrozen(true, prefix: "enc") == 0)  // prefixes match whole path components
        #expect(model.trainableParameters().allSatisfy { !$0.name.hasPrefix("encoder.") })
        let x = Tensor.ones([5, 3])
        let (_, grads) = valueAndGrad(model) { m in m.head(m.encoder(x)).sum() }
        #expect(grads["encoder.layers.0.weight"] == nil)
        #expect(grads["head.weight"] != nil)
    }

    @Test func moduleValueAndGradMatchesPlainTensorValueAndGrad() {
        var rng = RandomGenerator(seed: 2)
        let layer = Linear(4, 3, rng: &rng)
        let x = Tensor.randomNormal([6, 4], rng: &rng)
        let (v1, g1) = valueAndGrad(layer) { l in l(x, activation: .tanh).square().mean() }
        let (v2, g2) = valueAndGrad(at: [layer.weight.value, layer.bias!.value]) { p in
            linear(x, weight: p[0], bias: p[1], activation: .tanh).square().mean()
        }
        #expect(v1.item == v2.item)
        #expect(g1["weight"]!.scalars == g2[0].scalars)
        #expect(g1["bias"]!.scalars == g2[1].scalars)
        #expect(!layer.weight.value.isTracked, "parameters are restored to untracked values")
    }

    @Test func gradientsAccumulateAcrossCalls() {
        var rng = RandomGenerator(seed: 3)
        let layer = Linear(2, 2, rng: &rng)
        let x1 = Tensor.randomNormal([3, 2], rng: &rng), x2 = Tensor.randomNormal([3, 2], rng: &rng)
        var (_, total) = valueAndGrad(layer) { $0(x1).sum() }
        total += valueAndGrad(layer) { $0(x2).sum() }.gradients
        let (_, both) = valueAndGrad(layer) { $0(Tensor.concat([x1, x2], axis: 0)).sum() }
        for name in ["weight", "bias"] {
            let diff = zip(total[name]!.scalars, both[name]!.scalars).map { abs($0 - $1) }.max()!
            #expect(diff < 1e-5)
        }
    }

    @Test func loadingParametersChecksNamesAndShapes() throws {
        var rng = RandomGenerator(seed: 4)
        let a = TwoTower(rng: &rng), b = TwoTower(rng: &rng)
        try b.loadParameterValues(a.parameterValues())
        #expect(a.parameterValues().mapValues(\.scalars) == b.parameterValues().mapValues(\.scalars))
        var missing = a.parameterValues()
        missing["head.bias"] = nil
        #expect(throws: ModuleError.self) { try b.loadParameterValues(missing) }
        var wrong = a.parameterValues()
        wrong["head.bias"] = Tensor.zeros([3])
        #expect(throws: ModuleError.shapeMismatch(name: "head.bias", expected: [2], actual: [3])) {
            try b.loadParameterValues(wrong)
        }
        var extra = a.parameterValues()
        extra["ghost"] = Tensor.zeros([1])
        #expect(throws: ModuleError.unexpectedParameters(names: ["ghost"])) { try b.loadParameterValues(extra) }
    }

    @Test func filmStartsAsTheIdentityAndTimeEmbeddingIsBounded() {
        var rng = RandomGenerator(seed: 5)
        let film = FiLM(conditionFeatures: 3, features: 4, rng: &rng)
        let x = Tensor.randomNormal([2, 4], rng: &rng), c = Tensor.randomNormal([2, 3], rng: &rng)
        #expect(film(x, condition: c).scalars == x.scalars)
        let emb = SinusoidalTimeEmbedding(dim: 8)(Tensor([0, 0.5, 1]))
        #expect(emb.shape == [3, 8])
        #expect(emb.scalars.allSatisfy { abs($0) <= 1 })
        #expect(emb[0, 4] == 1)  // cos(0)
    }

    @Test func mlpFitsASmoothFunction() {
        // The README snippet, end to end: an MLP, a loss, valueAndGrad, AdamW.
        var rng = RandomGenerator(seed: 0)
        let model = MLP(widths: [1, 32, 32, 1], activation: .tanh, rng: &rng)
        let optimizer = AdamW(schedule: .constant(1e-2))
        let x = Tensor((0..<64).map { Float($0) / 32 - 1 }, shape: [64, 1])
        let y = (x * 3).tanh() * 0.5
        var first: Float = 0, last: Float = 0
        for i in 0..<300 {
            let (loss, grads) = valueAndGrad(model) { m in (m(x) - y).square().mean() }
            optimizer.update(model, gradients: grads)
            if i == 0 { first = loss.item }
            last = loss.item
        }
        #expect(last < first / 50, "loss \(first) → \(last)")
    }
}
