import Foundation
import FlowNN
import FlowPolicy
import FlowRL
import FlowTestSupport
import Testing

/// The separate critic reads observations exactly as the policy's encoder does: normalised with the
/// demonstrations' statistics and clipped to the policy's observation clip. Without the clip a
/// dimension that barely moved in the demonstrations (MetaWorld pick-place's cube orientation)
/// reached the critic at hundreds of standard deviations once the cube tilted during RL.
@Suite struct CriticInputTests {
    @Test func theSeparateCriticSeesANearlyConstantDimensionClippedAtThePolicysBound() throws {
        let policy = NearlyConstantDimensionPolicy.make(clip: 10)
        var rng = RandomGenerator(seed: 1)
        let critic = Critic(placement: .separate, policy: policy, hiddenWidths: [8, 8], rng: &rng)
        // 0.9 is 100 std below the demonstrations' mean of dimension 1; 1.004 is 4 std above it.
        let obs = Tensor([0.5, 0.9, -2, 1.004], shape: [2, 2])
        let input = try critic.inputs(policy: policy, observations: obs, taskIndices: nil, velocityFeatures: nil)
        let expected: [Float] = [0.5, -10, -2, 4]
        #expect(zip(input.scalars, expected).allSatisfy { abs($0 - $1) < 1e-3 }, "\(input.scalars)")
        #expect(input.scalars[1] == -10)
        #expect(input.scalars == policy.normalizedObservations(obs).scalars)
    }

    @Test func withoutAClipTheCriticSeesThePlainNormalisedObservation() throws {
        let policy = NearlyConstantDimensionPolicy.make(clip: nil)
        var rng = RandomGenerator(seed: 1)
        let critic = Critic(placement: .separate, policy: policy, hiddenWidths: [8, 8], rng: &rng)
        let obs = Tensor([0.5, 0.9], shape: [1, 2])
        let input = try critic.inputs(policy: policy, observations: obs, taskIndices: nil, velocityFeatures: nil)
        #expect(abs(input.scalars[1] - (-100)) < 1e-2)
    }

    @Test func aMultiTaskCriticAppendsTheOneHotTaskAfterTheClippedObservation() throws {
        let policy = NearlyConstantDimensionPolicy.make(clip: 10, taskCount: 3)
        var rng = RandomGenerator(seed: 1)
        let critic = Critic(placement: .separate, policy: policy, hiddenWidths: [8, 8], rng: &rng)
        let input = try critic.inputs(policy: policy, observations: Tensor([0.5, 1.2], shape: [1, 2]), taskIndices: [2], velocityFeatures: nil)
        #expect(input.shape == [1, 5])
        #expect(Array(input.scalars[1...]) == [10, 0, 0, 1])
    }

    @Test func theCriticAndTheNoiseNetworkHaveOneHiddenLayerPerListedWidth() throws {
        var pc = FlowPolicyConfig(observationDim: 5, actionDim: 2)
        (pc.encoderWidths, pc.velocityWidth, pc.velocityDepth, pc.timeEmbeddingDim, pc.chunkLength) = ([8], 8, 1, 4, 2)
        var noise = NoiseNetworkConfig()
        noise.widths = [12, 6, 3]
        pc.noiseNetwork = noise
        var rng = RandomGenerator(seed: 1)
        let policy = FlowPolicy(config: pc, rng: &rng)
        let critic = Critic(placement: .separate, policy: policy, hiddenWidths: [40, 30, 20], rng: &rng)
        // Linear weights are [out, in].
        #expect(critic.heads[0].layers.map { $0.weight.value.shape } == [[40, 5], [30, 40], [20, 30], [1, 20]])
        let noiseShapes = policy.parameterValues().filter { $0.key.hasPrefix("noiseNetwork.") && $0.key.hasSuffix(".weight") }
            .sorted { $0.key < $1.key }.map(\.value.shape)
        #expect(noiseShapes.map { $0[0] } == [12, 6, 3, 4])
    }

    @Test func aPolicyWrittenWithOneNoiseNetworkWidthLoadsWithTwoHiddenLayersOfIt() throws {
        let legacy = #"{"width": 64, "sigmaMin": 0.08, "sigmaMax": 0.16, "includeChainState": false, "trainSharedFeatures": false}"#
        let decoded = try JSONDecoder().decode(NoiseNetworkConfig.self, from: Data(legacy.utf8))
        #expect(decoded.widths == [64, 64] && decoded.sigmaMin == 0.08)
        var current = NoiseNetworkConfig()
        current.widths = [32, 16, 8]
        #expect(try JSONDecoder().decode(NoiseNetworkConfig.self, from: JSONEncoder().encode(current)) == current)
    }
}
