import FlowNN
import FlowPolicy
import FlowTuneCLI
import Foundation
import SafeTensors

/// W5 of `bench compare`: one forward and backward pass of the pixel policies' image encoder
/// (`ImageEncoder` with its default configuration: 64×64 RGB, a strided stem of 32 channels, residual
/// blocks of 32, 32, 64 and 64 channels with group norm, spatial-softmax keypoints) over a batch of
/// images, with the gradient of every parameter, as an SFT or RL update computes it. The loss is
/// `Σ features ⊙ R` for a fixed random `R`, so every feature's gradient is non-trivial.
///
/// Every stack reads the weights, the check images and FlowTune's features of them from one file
/// (`write(to:)`); a peer refuses to run unless its features match, so all stacks compute the same
/// network.
public final class EncoderWorkload {
    static let imageSize = 64
    /// Images whose features the peers must reproduce before they are timed.
    static let checkImages = 4
    static let format = "flowtune.bench-encoder/1"

    let encoder: ImageEncoder
    let images: Tensor
    let projection: Tensor

    /// The benchmark's encoder (seed 0) and a batch of `batch` images in [−1, 1], as the policy feeds them.
    init(batch: Int) {
        var rng = RandomGenerator(seed: 0)
        encoder = ImageEncoder(config: .init(), rng: &rng)
        images = Tensor.randomUniform([batch, Self.imageSize, Self.imageSize, 3], low: -1, high: 1, rng: &rng)
        projection = Tensor.randomNormal([batch, encoder.config.outputWidth], rng: &rng)
    }

    /// One forward and backward pass.
    func run() {
        _ = valueAndGrad(encoder) { e in (e(images) * projection).sum() }
    }

    /// The weights (`params.<name>`, FlowTune's layout: convolutions `[out, kh, kw, in]`), the
    /// configuration (JSON), check images in [−1, 1] `[4, 64, 64, 3]` and their features.
    public static func write(to path: String) throws {
        let workload = EncoderWorkload(batch: checkImages)
        var file = SafeTensorsFile(metadata: ["format": format,
                                              "config": String(decoding: try JSONEncoder.sortedKeys.encode(workload.encoder.config), as: UTF8.self)])
        file.insert(workload.encoder.parameterValues(), prefix: "params")
        file.tensors["images"] = SafeTensor(workload.images)
        file.tensors["features"] = SafeTensor(workload.encoder(workload.images))
        try file.write(to: path)
    }
}
