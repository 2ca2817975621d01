import FlowNN
import FlowPolicy

/// A tiny policy over two observation dimensions whose second barely moved in the
/// "demonstrations" (normaliser mean 1, std 0.001), for the tests of the observation clip in the
/// policy's encoder and in the critic.
public enum NearlyConstantDimensionPolicy {
    public static func make(clip: Float?, taskCount: Int = 0) -> FlowPolicy {
        var config = FlowPolicyConfig(observationDim: 2, actionDim: 1)
        config.encoderWidths = [8]
        config.velocityWidth = 8
        config.velocityDepth = 1
        config.timeEmbeddingDim = 4
        config.observationClip = clip
        config.taskCount = taskCount
        var rng = RandomGenerator(seed: 4)
        return FlowPolicy(config: config, observationNormalizer: Normalizer(mean: [0, 1], std: [1, 0.001]),
                          actionNormalizer: .identity(1), rng: &rng)
    }
}
