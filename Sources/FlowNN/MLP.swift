/// A multilayer perceptron: `Linear → [LayerNorm] → activation` for each hidden layer, then a final
/// `Linear` with `outputActivation`.
///
/// ```swift
/// let mlp = MLP(widths: [obsDim, 256, 256, actDim], activation: .silu, layerNorm: true, rng: &rng)
/// ```
/// Parameters are named `layers.i.weight`, `layers.i.bias`, `norms.i.scale`, `norms.i.shift`.
public final class MLP: Module {
    public let layers: [Linear]
    public let norms: [LayerNorm]
    public let activation: Activation
    public let outputActivation: Activation

    public init(widths: [Int], activation: Activation = .silu, layerNorm: Bool = false,
                outputActivation: Activation = .identity, rng: inout RandomGenerator) {
        precondition(widths.count >= 2, "MLP needs at least input and output widths")
        var layers: [Linear] = []
        for i in 0..<(widths.count - 1) { layers.append(Linear(widths[i], widths[i + 1], rng: &rng)) }
        self.layers = layers
        self.norms = layerNorm ? widths.dropFirst().dropLast().map { LayerNorm($0) } : []
        self.activation = activation
        self.outputActivation = outputActivation
    }

    public var inFeatures: Int { layers[0].inFeatures }
    public var outFeatures: Int { layers[layers.count - 1].outFeatures }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        layers[layers.count - 1](hidden(x).last!, activation: outputActivation)
    }

    /// The input followed by every hidden layer's output (post-activation); the last element feeds
    /// the output layer. Critics that read a network's features use this.
    public func hidden(_ x: Tensor) -> [Tensor] {
        var h = x
        var out = [x]
        for i in 0..<(layers.count - 1) {
            if norms.isEmpty {
                h = layers[i](h, activation: activation)
            } else {
                h = activation(norms[i](layers[i](h)))
            }
            out.append(h)
        }
        return out
    }
}
