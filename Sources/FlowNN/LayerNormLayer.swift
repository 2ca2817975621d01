/// Layer normalisation over the last axis with a learned scale and shift: `γ·x̂ + β`.
public final class LayerNorm: Module {
    public let scale: Parameter
    public let shift: Parameter
    public let eps: Float

    public init(_ features: Int, eps: Float = 1e-5) {
        scale = Parameter(Tensor.ones([features]))
        shift = Parameter(Tensor.zeros([features]))
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(eps: eps) * scale.value + shift.value
    }
}
