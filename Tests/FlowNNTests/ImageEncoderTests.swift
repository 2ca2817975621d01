import FlowNN
import FlowTensor
import Testing

/// The pixel encoder: its shapes and names, its gradients against finite differences end to end,
/// and that it learns where something is in an image.
@Suite struct ImageEncoderTests {
    static func smallConfig(head: ImageEncoder.Config.Head) -> ImageEncoder.Config {
        var c = ImageEncoder.Config()
        c.stemChannels = 4
        c.blockChannels = [4, 8]
        c.blockStrides = [1, 2]
        c.groups = 2
        c.head = head
        return c
    }

    @Test func theDefaultEncoderMaps64PixelImagesToKeypointsOrPooledChannels() {
        var rng = RandomGenerator(seed: 0)
        let images = Tensor.randomUniform([2, 64, 64, 3], rng: &rng)
        let keypoints = ImageEncoder(config: .init(), rng: &rng)
        #expect(keypoints.featureMap(images).shape == [2, 8, 8, 64])
        #expect(keypoints(images).shape == [2, 128] && keypoints.config.outputWidth == 128)
        #expect(keypoints(images).scalars.allSatisfy { abs($0) <= 1 })
        var pooled = ImageEncoder.Config()
        pooled.head = .averagePool
        let encoder = ImageEncoder(config: pooled, rng: &rng)
        #expect(encoder(images).shape == [2, 64] && pooled.outputWidth == 64)
        let names = keypoints.namedParameters().map(\.name)
        #expect(names.prefix(3) == ["stem.weight", "stemNorm.scale", "stemNorm.shift"])
        #expect(names.contains("blocks.1.skip.weight") && !names.contains("blocks.0.skip.weight"))
    }

    @Test(arguments: ImageEncoder.Config.Head.allCases)
    func encoderGradientsMatchFiniteDifferencesInImagesAndWeights(head: ImageEncoder.Config.Head) {
        var rng = RandomGenerator(seed: 3)
        let encoder = ImageEncoder(config: Self.smallConfig(head: head), rng: &rng)
        let images = Tensor.randomUniform([2, 8, 8, 3], rng: &rng)
        let cotangent = Tensor.randomNormal([2, encoder.config.outputWidth], rng: &rng)
        var probe = images   // the images `loss` reads
        func loss() -> Double {
            zip(encoder(probe).scalars, cotangent.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        // Central differences of `loss` in one element (restored afterwards). The ReLUs after group
        // norm make the loss piecewise smooth with kinks close together (at steps of 1e-3 to 1e-2 the
        // differences of some stem weights are 10–20% off, and converge to the autodiff value as the
        // step shrinks), so the steps are 2e-4 and 1e-4 (float32 rounding then costs up to ~5e-3); where the two disagree a kink lies
        // within reach and the element is skipped. Most elements must be checked.
        func check(_ name: String, _ analytic: [Float], get: () -> Tensor, set: (Tensor) -> Void) {
            let original = get()
            func difference(_ i: Int, _ h: Float) -> Double {
                var plus = original.scalars, minus = original.scalars
                plus[i] += h
                minus[i] -= h
                set(Tensor(plus, shape: original.shape))
                let lp = loss()
                set(Tensor(minus, shape: original.shape))
                let lm = loss()
                set(original)
                return (lp - lm) / Double(2 * h)
            }
            func tolerance(_ a: Double, _ b: Double) -> Double { 1e-2 + 2e-2 * max(abs(a), abs(b)) }
            var checked = 0, skipped = 0
            for i in 0..<original.count {
                let coarse = difference(i, 2e-4), fine = difference(i, 1e-4)
                guard abs(coarse - fine) <= tolerance(coarse, fine) else { skipped += 1; continue }
                checked += 1
                #expect(abs(fine - Double(analytic[i])) <= tolerance(fine, Double(analytic[i])),
                        "\(name)[\(i)]: autodiff \(analytic[i]), finite difference \(fine)")
            }
            #expect(skipped * 10 <= original.count, "\(name): \(skipped) of \(original.count) elements sit near a kink")
            #expect(checked > 0)
        }
        let (_, imageGrads) = valueAndGrad(at: [images]) { xs in (encoder(xs[0]) * cotangent).sum() }
        check("images", imageGrads[0].scalars, get: { probe }, set: { probe = $0 })
        let (_, weightGrads) = valueAndGrad(encoder) { m in (m(images) * cotangent).sum() }
        for (name, parameter) in encoder.namedParameters() {
            check(name, weightGrads[name]!.scalars, get: { parameter.value }, set: { parameter.value = $0 })
        }
    }

    @Test func theEncoderLearnsWhereABrightSquareIs() {
        // 16×16 images, a 3×3 bright square at a random place; a linear read-out of the keypoints
        // must regress the square's centre in [−1, 1]².
        var rng = RandomGenerator(seed: 5)
        var config = Self.smallConfig(head: .spatialSoftmax)
        config.blockChannels = [8, 8]
        config.stemChannels = 8
        let encoder = ImageEncoder(config: config, rng: &rng)
        let readout = Linear(config.outputWidth, 2, rng: &rng)
        func batch(_ n: Int) -> (Tensor, Tensor) {
            var pixels = [Float](repeating: 0, count: n * 16 * 16 * 3), centres: [Float] = []
            for i in 0..<n {
                let y = 1 + rng.nextInt(below: 14), x = 1 + rng.nextInt(below: 14)
                for dy in -1...1 { for dx in -1...1 { for c in 0..<3 { pixels[((i * 16 + y + dy) * 16 + x + dx) * 3 + c] = 1 } } }
                centres += [Float(x) / 7.5 - 1, Float(y) / 7.5 - 1]
            }
            return (Tensor(pixels, shape: [n, 16, 16, 3]), Tensor(centres, shape: [n, 2]))
        }
        final class Model: Module {
            let encoder: ImageEncoder, readout: Linear
            init(_ e: ImageEncoder, _ r: Linear) { encoder = e; readout = r }
        }
        let model = Model(encoder, readout)
        let optimizer = AdamW(schedule: .constant(3e-3))
        let (testImages, testCentres) = batch(64)
        func testLoss() -> Float { (model.readout(model.encoder(testImages)) - testCentres).square().mean().item }
        let before = testLoss()
        for _ in 0..<150 {
            let (images, centres) = batch(32)
            let (_, grads) = valueAndGrad(model) { m in (m.readout(m.encoder(images)) - centres).square().mean() }
            optimizer.update(model, gradients: grads)
        }
        let after = testLoss()
        #expect(after < before / 10 && after < 0.02, "held-out squared error \(before) → \(after)")
    }
}
