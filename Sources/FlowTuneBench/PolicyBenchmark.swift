import FlowTuneCLI
import Dispatch
import FlowNN
import FlowPolicy

/// Throughput of the flow policy's two workloads: CFM training steps (forward, backward, AdamW) in
/// samples per second, and K-step chunk sampling in chunks per second, at the default architecture.
public struct PolicyBenchmark {
    public var config: FlowPolicyConfig
    public var minSeconds = 1.0

    public init(config: FlowPolicyConfig = FlowPolicyBenchmarkDefaults.config) { self.config = config }

    public struct Row: Sendable {
        public let batch: Int
        public let trainSamplesPerSecond: Double
        public let odeChunksPerSecond: Double
        public let sdeChunksPerSecond: Double
    }

    public func measure(batch: Int) throws -> Row {
        var rng = RandomGenerator(seed: 1)
        let policy = FlowPolicy(config: config, rng: &rng)
        let optimizer = AdamW(schedule: .constant(1e-4))
        let obs = Tensor.randomNormal([batch, config.observationDim], rng: &rng)
        let actions = Tensor.randomNormal([batch, config.chunkWidth], rng: &rng)
        let times = (0..<batch).map { _ in rng.nextUniform() }

        let train = try Self.rate(minSeconds: minSeconds) {
            let noise = Tensor.randomNormal([batch, config.chunkWidth], rng: &rng)
            let (_, grads) = try valueAndGrad(policy) { p in
                let xt = ConditionalFlowMatching.interpolate(action: actions, noise: noise, t: Tensor(times, shape: [batch, 1]))
                let o = p.prepare(features: try p.encode(observations: obs))
                return ConditionalFlowMatching.perRowLoss(predicted: p.velocity(xt, observation: o, time: p.timeFeatures(times)).velocity,
                                                          action: actions, noise: noise).mean()
            }
            optimizer.update(policy, gradients: grads)
        }
        let ode = try Self.rate(minSeconds: minSeconds) {
            _ = try ChunkSampler(mode: .ode).sample(policy, observations: obs, rng: &rng)
        }
        let sde = try Self.rate(minSeconds: minSeconds) {
            _ = try ChunkSampler(mode: .flowSDE(schedule: .oneStep, noiseLevel: 0.5)).sample(policy, observations: obs, rng: &rng)
        }
        return Row(batch: batch, trainSamplesPerSecond: Double(batch) * train,
                   odeChunksPerSecond: Double(batch) * ode, sdeChunksPerSecond: Double(batch) * sde)
    }

    /// Calls of `body` per second, over at least `minSeconds` after one warm-up call.
    static func rate(minSeconds: Double, _ body: () throws -> Void) throws -> Double {
        try body()
        let start = DispatchTime.now().uptimeNanoseconds
        var calls = 0
        var elapsed = 0.0
        repeat {
            try body()
            calls += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < minSeconds
        return Double(calls) / elapsed
    }
}

/// The architecture `flowtune bench policy` measures unless told otherwise: the built-in tasks' policy.
public enum FlowPolicyBenchmarkDefaults {
    public static var config: FlowPolicyConfig {
        var c = FlowPolicyConfig(observationDim: 16, actionDim: 4)
        c.chunkLength = 5
        c.denoisingSteps = 5
        c.encoderWidths = [256, 256]
        c.velocityWidth = 256
        c.velocityDepth = 3
        c.timeEmbeddingDim = 64
        c.observationClip = nil
        return c
    }
}
