import FlowNN
import FlowPolicy
import FlowRL
import FlowTuneBench
import FlowTuneCLI
import FlowTestSupport
import Foundation
import SafeTensors
import Testing

/// The peers of `flowtune bench compare` (bench/peers) compute the same numbers as FlowTune on the
/// same weights and inputs — the W2/W3 losses and gradient norms, the ODE sampler's actions and the
/// W5 image encoder's features —
/// so the benchmark compares equal work. Each stack's test is skipped, with the reason shown, when
/// its Python package is missing (`./scripts/test` installs them into .venv).
@Suite struct PeerEquivalenceTests {
    static let peersDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("bench/peers").path

    @Test(.requiresPython("numpy", "safetensors", "torch"), .slow)
    func pyTorchComputesFlowTunesLossesAndGradientNorms() throws {
        try checkPeer("torch-eager")
    }

    @Test(.requiresPython("numpy", "safetensors", "jax"), .slow)
    func jaxComputesFlowTunesLossesAndGradientNorms() throws {
        try checkPeer("jax")
    }

    @Test(.requiresPython("numpy", "safetensors", "torch"), .slow)
    func pyTorchComputesFlowTunesImageEncoderFeatures() throws {
        try checkEncoder("torch_peer", "TorchStack(compiled=False, threads=1)")
    }

    @Test(.requiresPython("numpy", "safetensors", "jax"), .slow)
    func jaxComputesFlowTunesImageEncoderFeatures() throws {
        try checkEncoder("jax_peer", "JaxStack(1)")
    }

    /// W5: the peer builds the encoder from FlowTune's file, which refuses unless its features of the
    /// check images are FlowTune's within 1e-3, then runs one forward and backward pass.
    func checkEncoder(_ module: String, _ stack: String) throws {
        let directory = try makeTemporaryDirectory("peer-encoder")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/encoder.safetensors"
        try EncoderWorkload.write(to: path)
        let result = try TestPython.run("""
            import sys
            sys.path.insert(0, "\(Self.peersDirectory)")
            from checkpoint import EncoderCheckpoint
            from \(module) import *
            \(stack).encoder(EncoderCheckpoint(sys.argv[1]), 2)()
            print("ok")
            """, [path])
        #expect(result.status == 0 && result.stdout.hasSuffix("ok\n"), "\(module): \(result.stderr.suffix(600))")
    }

    /// FlowTune's numbers for the fixed case, and the peer's on the files the case was written to.
    func checkPeer(_ stack: String) throws {
        let directory = try makeTemporaryDirectory("peer-equivalence")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fixture = try EquivalenceCase(directory: directory)
        let result = try TestPython.run("""
            import runpy, sys
            sys.argv = ["peer.py", "--stack", sys.argv[1], "--checkpoint", sys.argv[2], "--equivalence", sys.argv[3]]
            runpy.run_path("\(Self.peersDirectory)/peer.py", run_name="__main__")
            """, [stack, fixture.checkpointPath, fixture.casePath])
        try #require(result.status == 0, "peer \(stack) failed: \(result.stderr)")
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let peer = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "no JSON from \(stack): \(result.stdout)")
        for (name, expected) in fixture.expected {
            let got = try #require(peer[name] as? [String: Double], "\(stack) did not report \(name)")
            let loss = try #require(got["loss"]), norm = try #require(got["grad_norm"])
            // float32 tolerance: different summation orders in GEMMs and reductions of ~10⁴ terms.
            #expect(abs(loss - expected.loss) <= 1e-4 * max(1, abs(expected.loss)), "\(stack) \(name) loss \(loss) vs FlowTune \(expected.loss)")
            #expect(abs(norm - expected.gradNorm) <= 1e-3 * max(1, expected.gradNorm), "\(stack) \(name) gradient norm \(norm) vs FlowTune \(expected.gradNorm)")
        }
        let actions = try #require((peer["ode"] as? [String: Any])?["actions"] as? [Double])
        try #require(actions.count == fixture.odeActions.count)
        let worst = zip(actions, fixture.odeActions).map { abs($0 - Double($1)) }.max() ?? 0
        #expect(worst <= 1e-4, "\(stack) ODE actions differ from FlowTune's by up to \(worst)")
    }
}

/// Fixed weights (every parameter random, FiLM included, with a noise network) and fixed inputs:
/// Flow-SDE and Flow-Noise chains sampled by FlowTune's own samplers with old log-probabilities
/// shifted so that some ratios clip, FPO pairs with shifted old losses, and ODE initial noise.
struct EquivalenceCase {
    struct Expected { var loss: Double; var gradNorm: Double }

    let checkpointPath: String
    let casePath: String
    var expected: [String: Expected] = [:]
    var odeActions: [Float] = []

    init(directory: String) throws {
        checkpointPath = directory + "/policy.safetensors"
        casePath = directory + "/case.safetensors"
        var rng = RandomGenerator(seed: 11)
        let config = try CompareWorkload.policyConfig(noise: true)
        let od = config.observationDim, ad = config.actionDim
        let policy = FlowPolicy(config: config,
                                observationNormalizer: Normalizer(mean: (0..<od).map { Float($0) * 0.1 }, std: (0..<od).map { 1 + Float($0) * 0.2 }),
                                actionNormalizer: Normalizer(mean: (0..<ad).map { 0.1 * Float($0 + 1) }, std: (0..<ad).map { 0.5 + Float($0) }),
                                rng: &rng)
        var values = policy.parameterValues()
        for name in values.keys.sorted() {
            let shape = values[name]!.shape
            values[name] = Tensor.randomNormal(shape, std: 1 / Float(shape.last!).squareRoot(), rng: &rng)
        }
        try policy.loadParameterValues(values)
        try policy.save(to: checkpointPath)

        var file = SafeTensorsFile()
        func put(_ name: String, _ t: Tensor, _ shape: [Int]? = nil) { file.tensors[name] = SafeTensor(floats: t.scalars, shape: shape ?? t.shape) }
        func shifted(_ t: Tensor, by amount: Float) -> Tensor {
            t.detached() + Tensor.randomUniform(t.shape, low: -amount, high: amount, rng: &rng)
        }
        let b = 48, hd = config.chunkWidth
        func measure(_ name: String, _ loss: (FlowPolicy) throws -> Tensor) throws {
            let (value, grads) = try valueAndGrad(policy, loss)
            expected[name] = Expected(loss: Double(value.item), gradNorm: Double(grads.globalNorm))
        }

        for (name, mode) in [("sde", SamplingMode.flowSDE(schedule: .oneStep, noiseLevel: 0.5)), ("noise", .flowNoise)] {
            let obs = Tensor.randomNormal([b, od], rng: &rng)
            let record = try ChunkSampler(mode: mode).sample(policy, observations: obs, rng: &rng).record!
            let s = record.transitions.count
            let current = try PPOEpochWorkload.logProbability(policy, observations: obs, record: record).value
            let batch = PPOEpochWorkload.Batch(observations: obs, record: record, oldLogProbability: shifted(current, by: 0.4),
                                               advantages: Tensor.randomNormal([b], rng: &rng))
            try measure("ppo-\(name)") { p in try PPOEpochWorkload.loss(p, batch) }
            put("\(name).obs", obs)
            put("\(name).before", Tensor.concat(record.transitions.map(\.before), axis: 0), [s, b, hd])
            put("\(name).after", Tensor.concat(record.transitions.map(\.after), axis: 0), [s, b, hd])
            put("\(name).steps", Tensor(record.transitions.flatMap(\.step).map(Float.init)), [s, b])
            put("\(name).old", batch.oldLogProbability)
            put("\(name).adv", batch.advantages)
        }

        let n = CompareWorkload.pairs
        let obs = Tensor.randomNormal([b, od], rng: &rng)
        let actions = try ChunkSampler(mode: .ode).sample(policy, observations: obs, rng: &rng).normalizedChunk
        var batch = FPOEpochWorkload.Batch(observations: obs, actions: actions,
                                           pairs: FPOPairs.draw(chunks: b, settings: FPOEpochWorkload.settings, policy: policy, rng: &rng),
                                           oldLoss: Tensor.zeros([b, n, config.chunkLength]), advantages: Tensor.randomNormal([b], rng: &rng))
        batch.oldLoss = shifted(try FPOEpochWorkload.pairLosses(policy, batch), by: 0.02)
        try measure("fpo") { p in try FPOEpochWorkload.loss(p, batch) }
        try measure("cfm") { p in try FPOEpochWorkload.pairLosses(p, batch).sum(axis: 2).mean() }
        put("fpo.obs", obs); put("fpo.actions", actions); put("fpo.tau", Tensor(batch.pairs.tau), [b, n])
        put("fpo.eps", batch.pairs.noise, [b, n, hd]); put("fpo.old", batch.oldLoss.sum(axis: 2)); put("fpo.adv", batch.advantages)

        let odeObs = Tensor.randomNormal([b, od], rng: &rng), x0 = Tensor.randomNormal([b, hd], rng: &rng)
        odeActions = try ChunkSampler(mode: .ode).sample(policy, observations: odeObs, initialNoise: x0, rng: &rng).actions.scalars
        put("ode.obs", odeObs); put("ode.x0", x0)
        try file.write(to: casePath)
    }
}
