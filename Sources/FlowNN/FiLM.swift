/// Feature-wise linear modulation: `x·(1 + γ(c)) + β(c)` with `[γ, β]` from one linear map of the
/// conditioning `c`. The map starts at zero, so an untrained FiLM layer is the identity.
public final class FiLM: Module {
    public let projection: Linear

    public init(conditionFeatures: Int, features: Int, rng: inout RandomGenerator) {
        projection = Linear(conditionFeatures, 2 * features, rng: &rng)
        projection.weight.value = Tensor.zeros(projection.weight.shape)
        projection.bias!.value = Tensor.zeros([2 * features])
    }

    public var features: Int { projection.outFeatures / 2 }

    /// `x`: `[…, features]`; `condition`: `[…, conditionFeatures]` with the same leading axes
    /// (or fewer, broadcast over the middle axes after reshaping by the caller).
    public func callAsFunction(_ x: Tensor, condition: Tensor) -> Tensor {
        let gammaBeta = projection(condition).split(sizes: [features, features], axis: -1)
        return x * (1 + gammaBeta[0]) + gammaBeta[1]
    }
}
