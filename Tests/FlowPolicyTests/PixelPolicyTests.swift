import FlowNN
import FlowPolicy
import FlowTensor
import FlowTestSupport
import Foundation
import Testing

/// A policy that reads camera images: the image goes through its convolutional encoder, the state
/// before it through the normaliser, and a checkpoint rebuilds both.
@Suite struct PixelPolicyTests {
    static let state = 3, size = 16

    func policy(seed: UInt64 = 0) -> FlowPolicy {
        var encoder = ImageEncoder.Config()
        encoder.stemChannels = 8
        encoder.blockChannels = [8, 8]
        encoder.blockStrides = [1, 2]
        var config = FlowPolicyConfig(observationDim: Self.state + Self.size * Self.size * 3, actionDim: 2)
        config.image = ImageInput(offset: Self.state, size: Self.size, encoder: encoder)
        var rng = RandomGenerator(seed: seed)
        return FlowPolicy(config: config, rng: &rng)
    }

    func observations(_ b: Int, seed: UInt64) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        return Tensor((0..<(b * policy().config.observationDim)).map { _ in rng.nextUniform() }, shape: [b, policy().config.observationDim])
    }

    @Test func theObservationMLPReadsTheStateThenTheImageFeatures() throws {
        let p = policy()
        #expect(p.observationInputWidth == Self.state + 16)   // 8 channels → 16 keypoint coordinates
        #expect(p.namedParameters().contains { $0.name.hasPrefix("imageEncoder.stem") })
        let obs = observations(2, seed: 1)
        let inputs = try p.observationInputs(obs)
        #expect(inputs.shape == [2, Self.state + 16])
        #expect(Array(inputs.scalars[0..<Self.state]) == Array(obs.scalars[0..<Self.state]), "identity normaliser: the state as it is")
        var config = p.config
        config.observationDim += 1
        #expect(throws: FlowPolicyError.self) { try config.validate() }
    }

    @Test func changingOnePixelChangesTheFeaturesAndChangingNothingDoesNot() throws {
        let p = policy()
        var values = observations(1, seed: 2).scalars
        let before = try p.encode(observations: Tensor(values, shape: [1, values.count])).scalars
        #expect(try p.encode(observations: Tensor(values, shape: [1, values.count])).scalars == before)
        values[Self.state + 7 * Self.size * 3 + 7 * 3] += 0.5
        #expect(try p.encode(observations: Tensor(values, shape: [1, values.count])).scalars != before)
    }

    @Test func aLossOnTheFeaturesReachesTheImageEncodersWeights() throws {
        let p = policy()
        let obs = observations(4, seed: 3)
        let (_, grads) = valueAndGrad(p) { p in try! p.encode(observations: obs).square().sum() }
        let stem = try #require(grads["imageEncoder.stem.weight"])
        #expect(stem.scalars.contains { $0 != 0 })
    }

    @Test func aCheckpointRebuildsThePixelPolicy() throws {
        let p = policy(seed: 5)
        let obs = observations(3, seed: 6)
        let features = try p.encode(observations: obs).scalars
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try p.save(to: dir + "/pixel.safetensors")
        let loaded = try FlowPolicy.load(dir + "/pixel.safetensors")
        #expect(loaded.config.image == p.config.image)
        #expect(try loaded.encode(observations: obs).scalars == features)
    }
}

extension PixelPolicyTests {
    @Test func shiftingImagesMovesThePixelsAndLeavesTheState() throws {
        let p = policy()
        let obs = observations(3, seed: 7)
        var rng = RandomGenerator(seed: 8)
        #expect(p.shiftingImages(obs, pad: 0, rng: &rng).scalars == obs.scalars)
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let shifted = p.shiftingImages(obs, pad: 2, rng: &a)
        let expected = obs.slice(axis: 1, Self.state..<p.config.observationDim).reshaped([3, Self.size, Self.size, 3])
            .randomShift(pad: 2, rng: &b).scalars
        let width = p.config.observationDim
        for r in 0..<3 {
            #expect(Array(shifted.scalars[(r * width)..<(r * width + Self.state)]) == Array(obs.scalars[(r * width)..<(r * width + Self.state)]))
            let pixels = Self.size * Self.size * 3
            #expect(Array(shifted.scalars[(r * width + Self.state)..<((r + 1) * width)]) == Array(expected[(r * pixels)..<((r + 1) * pixels)]))
        }
        #expect(shifted.scalars != obs.scalars)
    }
}

extension PixelPolicyTests {
    func multiTaskPolicy() -> FlowPolicy {
        var encoder = ImageEncoder.Config()
        encoder.stemChannels = 8
        encoder.blockChannels = [8, 8]
        encoder.blockStrides = [1, 2]
        encoder.conditionWidth = 16
        var config = FlowPolicyConfig(observationDim: Self.size * Self.size * 3, actionDim: 2)
        config.taskCount = 3
        config.image = ImageInput(offset: 0, size: Self.size, encoder: encoder)
        var rng = RandomGenerator(seed: 11)
        return FlowPolicy(config: config, rng: &rng)
    }

    @Test func aFiLMConditionedEncoderStartsAsTheIdentityAndLearnsToSeeEachTaskDifferently() throws {
        let p = multiTaskPolicy()
        var config = p.config
        config.taskCount = 0
        #expect(throws: FlowPolicyError.self) { try config.validate() }
        var rng = RandomGenerator(seed: 12)
        let one = Tensor((0..<(Self.size * Self.size * 3)).map { _ in rng.nextUniform() }, shape: [1, Self.size * Self.size * 3])
        let twice = Tensor.concat([one, one], axis: 0)
        let atInit = try p.observationInputs(twice, taskIndices: [0, 2]).scalars
        #expect(Array(atInit[0..<16]) == Array(atInit[16..<32]), "zero-initialised FiLM: the same image, the same features")
        let (_, grads) = valueAndGrad(p) { p in try! p.observationInputs(twice, taskIndices: [0, 2]).slice(axis: 0, 0..<1).square().sum() }
        let filmGrad = try #require(grads["imageEncoder.blocks.0.film.projections.0.weight"])
        #expect(filmGrad.scalars.contains { $0 != 0 }, "the task modulation gets a gradient")
        for (name, parameter) in p.namedParameters() where name.contains(".film.") {
            parameter.value = Tensor.randomNormal(parameter.value.shape, std: 0.3, rng: &rng)
        }
        let trained = try p.observationInputs(twice, taskIndices: [0, 2]).scalars
        #expect(Array(trained[0..<16]) != Array(trained[16..<32]), "two tasks, one image, two feature vectors")
    }
}
