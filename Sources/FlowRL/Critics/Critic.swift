import FlowConfig
import FlowNN
import FlowPolicy

/// A state-value critic `V(o)` in one of the three placements of docs/algorithms.md §4.4.
///
/// ```swift
/// let critic = Critic(placement: .separate, policy: policy, rng: &rng)
/// let v = critic(critic.inputs(policy: policy, observations: obs, taskIndices: tasks, velocityFeatures: s.meanVelocityFeatures))
/// ```
/// - `separate`: an MLP on the observation as the policy sees it (normalised and clipped,
///   `FlowPolicy.normalizedObservations`), plus a one-hot task for multi-task policies; for a pixel
///   policy the image part is the policy's image features (detached): a second convolutional
///   encoder would double the convolution work of every update;
/// - `observationFeatures`: an MLP head on the policy's observation features (detached);
/// - `velocityFeatures`: an MLP head on the velocity network's last hidden features averaged over
///   the denoising steps of the rollout's sampling pass (π0-style action-expert critic, detached).
/// With `ensembleSize > 1` it holds that many independently initialised heads (Q-ensemble, §4.3).
public final class Critic: Module {
    public enum Placement: String, Sendable, Codable, CaseIterable {
        case separate
        case observationFeatures = "observation-features"
        case velocityFeatures = "velocity-features"
    }

    public let placement: Placement
    public let heads: [MLP]
    let taskCount: Int

    public init(placement: Placement, policy: FlowPolicy, hiddenWidths: [Int] = [256, 256], ensembleSize: Int = 1, rng: inout RandomGenerator) {
        precondition(ensembleSize >= 1, "at least one critic head")
        precondition(!hiddenWidths.isEmpty && hiddenWidths.allSatisfy { $0 >= 1 }, "at least one hidden layer, each of width ≥ 1")
        self.placement = placement
        taskCount = policy.config.taskCount
        let inWidth: Int
        switch placement {
        case .separate: inWidth = policy.observationInputWidth + taskCount
        case .observationFeatures: inWidth = policy.featureWidth
        case .velocityFeatures: inWidth = policy.config.velocityWidth
        }
        heads = (0..<ensembleSize).map { _ in
            MLP(widths: [inWidth] + hiddenWidths + [1], activation: policy.config.activation, rng: &rng)
        }
    }

    /// The critic's input rows for a batch (all detached from the policy).
    public func inputs(policy: FlowPolicy, observations: Tensor, taskIndices: [Int]?, velocityFeatures: Tensor?) throws -> Tensor {
        switch placement {
        case .separate:
            let normalized = policy.config.image == nil ? policy.normalizedObservations(observations)
                : try policy.observationInputs(observations, taskIndices: taskIndices).detached()
            guard taskCount > 0 else { return normalized }
            let b = observations.shape[0]
            let idx = taskIndices ?? [Int](repeating: 0, count: b)
            let oneHot = Tensor.filled(shape: [b, taskCount]) { o in
                o.initialize(repeating: 0)
                for (r, t) in idx.enumerated() where t >= 0 && t < taskCount { o[r * taskCount + t] = 1 }
            }
            return Tensor.concat([normalized, oneHot], axis: -1)
        case .observationFeatures:
            return try policy.encode(observations: observations, taskIndices: taskIndices).detached()
        case .velocityFeatures:
            guard let f = velocityFeatures else { preconditionFailure("the velocity-feature critic needs the sampler's features") }
            return f.detached()
        }
    }

    /// Values of every head, `[E, B]`.
    public func allHeads(_ input: Tensor) -> Tensor {
        let b = input.shape[0]
        return Tensor.concat(heads.map { $0(input).reshaped([1, b]) }, axis: 0)
    }

    /// The mean over heads, `[B]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        heads.count == 1 ? heads[0](input).reshaped([input.shape[0]]) : allHeads(input).mean(axis: 0)
    }
}

/// The critic's regression loss (docs/algorithms.md §4.4): Huber (δ = 10) with PPO value clipping
/// (0.2, around the rollout's values: the larger of the clipped and unclipped losses), or plain MSE.
public struct ValueLoss: Sendable, Equatable, Codable {
    public enum Kind: String, Codable, ConfigEnum { case huber, mse }
    public var kind: Kind = .huber
    public var huberDelta: Float = 10
    /// Value clipping range (nil: off).
    public var clip: Float? = 0.2

    public init(kind: Kind = .huber, huberDelta: Float = 10, clip: Float? = 0.2) {
        self.kind = kind
        self.huberDelta = huberDelta
        self.clip = clip
    }

    func elementwise(_ error: Tensor) -> Tensor {
        switch kind {
        case .mse:
            return error.square() * 0.5
        case .huber:
            // 0.5·e² for |e| ≤ δ, δ·(|e| − 0.5·δ) beyond: written as a clamp so it stays one expression.
            let a = error.abs()
            let quadratic = a.clamped(max: huberDelta)
            return quadratic * (a - quadratic * 0.5)
        }
    }

    /// Mean loss of predictions `v` for targets `returns`, with clipping around `oldValues`.
    public func loss(predicted v: Tensor, returns: Tensor, oldValues: Tensor) -> Tensor {
        perElement(predicted: v, returns: returns, oldValues: oldValues).mean()
    }

    /// The loss of every prediction (`returns` broadcasts, e.g. `[B]` against an ensemble's `[E, B]`).
    public func perElement(predicted v: Tensor, returns: Tensor, oldValues: Tensor) -> Tensor {
        let unclipped = elementwise(v - returns)
        guard let c = clip else { return unclipped }
        let clipped = oldValues + (v - oldValues).clamped(min: -c, max: c)
        return maximum(unclipped, elementwise(clipped - returns))
    }

    /// A Q-ensemble's loss (docs/algorithms.md §4.3): head `e` regresses only on the rows its bootstrap
    /// mask keeps, `Σ_b m_eb·L(v_eb)/Σ_b m_eb`, averaged over heads. Predictions and old values are
    /// `[E, B]`, returns `[B]`, masks `[E, B]` of 0/1 (nil: every head sees every row).
    public func ensembleLoss(predicted v: Tensor, returns: Tensor, oldValues: Tensor, masks: Tensor?) -> Tensor {
        let perHead = perElement(predicted: v, returns: returns, oldValues: oldValues)
        guard let masks else { return perHead.mean() }
        let kept = maximum(masks.sum(axis: 1), Tensor(1))
        return ((perHead * masks).sum(axis: 1) / kept).mean()
    }
}
