/// A small ResNet-style image encoder for pixel policies: a strided 3×3 stem, residual blocks of two
/// 3×3 convolutions with group norm, and a head that turns the last feature map into a vector,
/// either spatial soft-argmax keypoints (where each channel's feature is, as in Levine et al.'s
/// visuomotor policies) or the channels' global average.
///
/// ```swift
/// let encoder = ImageEncoder(config: .init(), rng: &rng)     // 64×64 RGB → 128 keypoint coordinates
/// let features = encoder(images)                              // [N, 64, 64, 3] → [N, 128]
/// ```
///
/// Parameters are named `stem.weight`, `stemNorm.scale`, `blocks.i.first.weight`, `blocks.i.skip.weight`, …
public final class ImageEncoder: Module {
    public struct Config: Equatable, Sendable, Codable {
        public enum Head: String, Equatable, Sendable, CaseIterable, Codable {
            /// `[N, 2C]`: each last-layer channel's expected (x, y) position.
            case spatialSoftmax = "spatial-softmax"
            /// `[N, C]`: each last-layer channel's mean over positions.
            case averagePool = "average-pool"
        }
        /// Input channels (3 for RGB).
        public var inputChannels = 3
        /// The stem's output channels; it halves the resolution.
        public var stemChannels = 32
        /// Output channels of each residual block.
        public var blockChannels = [32, 32, 64, 64]
        /// Each block's stride (2 halves the resolution).
        public var blockStrides = [1, 2, 1, 2]
        /// Groups of every group norm (must divide every channel count).
        public var groups = 8
        public var head = Head.spatialSoftmax
        /// When set, every residual block is modulated by FiLM from a conditioning vector of this
        /// width (a task's instruction features: "where is the cube *I* am told to move?"), as
        /// RT-1 conditions its image encoder on the instruction. nil = no conditioning.
        public var conditionWidth: Int? = nil

        public init() {}

        /// The feature vector's width.
        public var outputWidth: Int {
            let c = blockChannels.last ?? stemChannels
            return head == .spatialSoftmax ? 2 * c : c
        }
    }

    /// `relu(norm(conv(relu(norm(conv(x))))) + skip(x))`, the skip a strided 1×1 convolution where the
    /// shape changes.
    public final class ResidualBlock: Module {
        public let first: Conv2d
        public let firstNorm: GroupNorm
        public let second: Conv2d
        public let secondNorm: GroupNorm
        public let skip: Conv2d?
        /// Per-channel `x·(1 + γ) + β` after the second norm, from the conditioning (zero at init).
        public let film: FiLM?

        init(_ inChannels: Int, _ outChannels: Int, stride: Int, groups: Int, conditionWidth: Int?, rng: inout RandomGenerator) {
            first = Conv2d(inChannels, outChannels, kernel: 3, stride: stride, padding: 1, bias: false, rng: &rng)
            firstNorm = GroupNorm(groups: groups, channels: outChannels)
            second = Conv2d(outChannels, outChannels, kernel: 3, padding: 1, bias: false, rng: &rng)
            secondNorm = GroupNorm(groups: groups, channels: outChannels)
            skip = inChannels == outChannels && stride == 1 ? nil
                : Conv2d(inChannels, outChannels, kernel: 1, stride: stride, bias: false, rng: &rng)
            film = conditionWidth.map { FiLM(conditionFeatures: $0, features: outChannels, rng: &rng) }
        }

        /// `condition` `[N, conditionWidth]` is required exactly when the block has a FiLM layer.
        public func callAsFunction(_ x: Tensor, condition: Tensor? = nil) -> Tensor {
            let h = firstNorm(first(x)).relu()
            var y = secondNorm(second(h))
            if let film {
                guard let condition else { preconditionFailure("a FiLM-conditioned image encoder needs its condition") }
                let projected = film.project(part: 0, condition)
                y = film(y, projected: projected.reshaped([projected.shape[0], 1, 1, projected.shape[1]]))
            }
            return (y + (skip?(x) ?? x)).relu()
        }
    }

    public let config: Config
    public let stem: Conv2d
    public let stemNorm: GroupNorm
    public let blocks: [ResidualBlock]

    public init(config: Config, rng: inout RandomGenerator) {
        precondition(config.blockChannels.count == config.blockStrides.count,
                     "ImageEncoder: \(config.blockChannels.count) block widths but \(config.blockStrides.count) strides")
        self.config = config
        stem = Conv2d(config.inputChannels, config.stemChannels, kernel: 3, stride: 2, padding: 1, bias: false, rng: &rng)
        stemNorm = GroupNorm(groups: config.groups, channels: config.stemChannels)
        var blocks: [ResidualBlock] = []
        var channels = config.stemChannels
        for (c, s) in zip(config.blockChannels, config.blockStrides) {
            blocks.append(ResidualBlock(channels, c, stride: s, groups: config.groups, conditionWidth: config.conditionWidth, rng: &rng))
            channels = c
        }
        self.blocks = blocks
    }

    /// The last feature map, `[N, H', W', C]`.
    public func featureMap(_ images: Tensor, condition: Tensor? = nil) -> Tensor {
        var h = stemNorm(stem(images)).relu()
        for block in blocks { h = block(h, condition: condition) }
        return h
    }

    /// `[N, H, W, inputChannels]` images → `[N, outputWidth]` features; `condition` `[N, conditionWidth]`
    /// for a FiLM-conditioned encoder.
    public func callAsFunction(_ images: Tensor, condition: Tensor? = nil) -> Tensor {
        let h = featureMap(images, condition: condition)
        switch config.head {
        case .spatialSoftmax:
            return h.spatialSoftmax()
        case .averagePool:
            return h.mean(axes: [1, 2])
        }
    }
}
