import FlowEnvs
import FlowNN
import FlowPolicy

/// Settings of the demonstration anchor (see `DemonstrationAnchor`).
public struct DemonstrationAnchorSettings: Sendable, Equatable, Codable {
    /// λ: weight of the demonstrations' CFM loss in every actor update.
    public var coefficient: Float
    /// Demonstration pairs per minibatch.
    public var batchSize: Int
    /// Flow-time distribution of the anchor's CFM loss (use the SFT policy's own).
    public var timeSampling: ConditionalFlowMatching.TimeSampling

    public init(coefficient: Float, batchSize: Int = 128, timeSampling: ConditionalFlowMatching.TimeSampling = .beta) {
        self.coefficient = coefficient
        self.batchSize = batchSize
        self.timeSampling = timeSampling
    }

    func validate() throws {
        guard coefficient > 0 && coefficient.isFinite else { throw RLError.invalidConfig(field: "demo_loss_coef", rule: "must be a positive number") }
        guard batchSize >= 1 else { throw RLError.invalidConfig(field: "demo_batch_size", rule: "must be ≥ 1") }
    }
}

/// A behaviour-cloning anchor for RL fine-tuning: `λ · L_CFM(demonstrations)` (docs/algorithms.md §2's SFT
/// loss) added to the policy loss of every minibatch, so the update keeps fitting the demonstrations
/// the policy was fitted to (the demonstration-augmented policy gradient of DAPG, Rajeswaran et al.
/// 2018, with the flow policy's own supervised loss).
///
/// Why FlowTune has it: FPO's surrogate is a CFM loss on the policy's own samples, and measured on
/// pick-place that regression alone (every advantage set to 1) moves the ODE policy from 36% to 11%
/// success in 40 iterations while the FPO ratio's KL estimate stays near 1e-6 — the drift is invisible
/// to the trust region. The anchor pulls the velocity field back toward the demonstrations.
///
/// ```swift
/// let anchor = try DemonstrationAnchor(demonstrations: demos, chunkLength: 5, settings: .init(coefficient: 0.1))
/// let batch = anchor.drawBatch(chunkWidth: policy.config.chunkWidth, rng: &rng)   // before valueAndGrad
/// total = total + anchor.loss(policy, batch: batch) * anchor.settings.coefficient
/// ```
public struct DemonstrationAnchor {
    public let settings: DemonstrationAnchorSettings
    let pairs: ChunkedDemonstrations

    /// One minibatch of demonstration pairs with its flow times and noise.
    struct Batch {
        let indices: [Int]
        let times: [Float]
        let noise: Tensor
    }

    public init(demonstrations: DemonstrationDataset, chunkLength: Int, settings: DemonstrationAnchorSettings) throws {
        try settings.validate()
        guard demonstrations.stepCount > 0 else {
            throw RLError.policyMismatch(reason: "the demonstration anchor needs at least one demonstration step")
        }
        self.settings = settings
        pairs = ChunkedDemonstrations(demonstrations, chunkLength: chunkLength)
    }

    /// Draws the pairs, flow times and noise of one minibatch (outside the differentiated closure, in a
    /// fixed order, so a resumed run draws the same batches).
    func drawBatch(chunkWidth: Int, rng: inout RandomGenerator) -> Batch {
        let b = settings.batchSize
        let indices = (0..<b).map { _ in rng.nextInt(below: pairs.count) }
        let times = settings.timeSampling.sample(b, rng: &rng)
        return Batch(indices: indices, times: times, noise: Tensor.randomNormal([b, chunkWidth], rng: &rng))
    }

    /// The demonstrations' mean CFM loss on `batch` under `policy` (differentiable).
    func loss(_ policy: FlowPolicy, batch: Batch) throws -> Tensor {
        try SFTTrainer.loss(policy, pairs: pairs, indices: batch.indices, times: batch.times, noise: batch.noise)
    }
}
