/// A fully connected layer, `y = activation(x·Wᵀ + b)`, with `W` stored `[out, in]` (PyTorch layout).
///
/// ```swift
/// let layer = Linear(64, 32, rng: &rng)
/// let y = layer(x, activation: .silu)      // bias and activation fused into the GEMM pass
/// ```
/// Initialisation follows PyTorch's default: `W, b ~ U(−1/√in, 1/√in)`.
public final class Linear: Module {
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout RandomGenerator) {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Parameter(Tensor.randomUniform([outFeatures, inFeatures], low: -bound, high: bound, rng: &rng))
        self.bias = bias ? Parameter(Tensor.randomUniform([outFeatures], low: -bound, high: bound, rng: &rng)) : nil
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor, activation: Activation = .identity) -> Tensor {
        linear(x, weight: weight.value, bias: bias?.value, activation: activation)
    }
}
