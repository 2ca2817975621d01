/// A 2-D convolution layer over NHWC images, `y = conv2d(x, W, b)` with `W` stored
/// `[out, kh, kw, in]` (see `conv2d` in FlowTensor for the layout and padding).
///
/// ```swift
/// let conv = Conv2d(3, 32, kernel: 3, stride: 2, padding: 1, rng: &rng)
/// let y = conv(images)       // [N, 64, 64, 3] → [N, 32, 32, 32]
/// ```
/// Initialisation follows PyTorch's default for convolutions: `W, b ~ U(−1/√fanIn, 1/√fanIn)` with
/// `fanIn = kh·kw·in`.
public final class Conv2d: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int
    public let padding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
                rng: inout RandomGenerator) {
        let bound = 1 / Float(kernel * kernel * inChannels).squareRoot()
        weight = Parameter(Tensor.randomUniform([outChannels, kernel, kernel, inChannels], low: -bound, high: bound, rng: &rng))
        self.bias = bias ? Parameter(Tensor.randomUniform([outChannels], low: -bound, high: bound, rng: &rng)) : nil
        self.stride = stride
        self.padding = padding
    }

    public var inChannels: Int { weight.shape[3] }
    public var outChannels: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight.value, bias: bias?.value, stride: stride, padding: padding)
    }
}

/// Group normalisation of channels-last activations with a learned per-channel scale and shift:
/// `γ·x̂ + β` (see `groupNorm` in FlowTensor).
public final class GroupNorm: Module {
    public let scale: Parameter
    public let shift: Parameter
    public let groups: Int
    public let eps: Float

    public init(groups: Int, channels: Int, eps: Float = 1e-5) {
        precondition(groups >= 1 && channels % groups == 0, "GroupNorm: \(groups) groups do not divide \(channels) channels")
        scale = Parameter(Tensor.ones([channels]))
        shift = Parameter(Tensor.zeros([channels]))
        self.groups = groups
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.groupNorm(groups: groups, eps: eps) * scale.value + shift.value
    }
}
