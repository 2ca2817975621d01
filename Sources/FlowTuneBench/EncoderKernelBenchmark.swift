import Dispatch
import FlowNN

/// Where the pixel encoder's time goes: each convolution, group norm and the spatial softmax of
/// `ImageEncoder`'s default architecture (64×64 RGB, stem 32, blocks 32, 32, 64, 64) timed alone,
/// forward and forward + backward, at the shapes they have inside the encoder, next to the whole
/// encoder's forward + backward (`EncoderWorkload`, W5 of `bench compare`). Convolutions report their
/// FLOP rate (forward `2·positions·out·kh·kw·in`; the backward adds the weight gradient and, except for
/// the stem, whose input is the image, the input gradient, each as many FLOPs again).
struct EncoderKernelBenchmark {
    struct Row {
        var op: String
        var output: [Int]
        var forward: Double
        var forwardBackward: Double
        /// Forward + backward FLOPs (convolutions only).
        var flops: Double?
    }

    var batch = 64
    var repetitions = 5

    func run() -> (rows: [Row], encoder: Double) {
        // W5's encoder and images; the ops are timed on the shapes they have inside it.
        let whole = EncoderWorkload(batch: batch)
        let encoder = whole.encoder, images = whole.images
        var rng = RandomGenerator(seed: 1)
        var rows: [Row] = []
        func conv(_ name: String, _ layer: Conv2d, _ x: Tensor, inputGradient: Bool = true) -> Tensor {
            let y = layer(x)
            let k = layer.weight.shape[1]
            let forwardFLOPs = 2 * Double(y.count) * Double(k * k * layer.inChannels)
            let r = Tensor.randomNormal(y.shape, rng: &rng)
            let both = inputGradient
                ? time { _ = valueAndGrad(at: [x, layer.weight.value]) { v in (conv2d(v[0], weight: v[1], bias: nil, stride: layer.stride, padding: layer.padding) * r).sum() } }
                : time { _ = valueAndGrad(at: [layer.weight.value]) { v in (conv2d(x, weight: v[0], bias: nil, stride: layer.stride, padding: layer.padding) * r).sum() } }
            rows.append(Row(op: "conv \(layer.inChannels)→\(layer.outChannels) \(k)×\(k) stride \(layer.stride) (\(name))", output: y.shape,
                            forward: time { _ = layer(x) }, forwardBackward: both, flops: forwardFLOPs * (inputGradient ? 3 : 2)))
            return y
        }
        func norm(_ name: String, _ layer: GroupNorm, _ x: Tensor) -> Tensor {
            let r = Tensor.randomNormal(x.shape, rng: &rng)
            rows.append(Row(op: "group norm \(layer.scale.shape[0]) channels, \(layer.groups) groups (\(name))", output: x.shape,
                            forward: time { _ = layer(x) },
                            forwardBackward: time { _ = valueAndGrad(at: [x]) { v in (layer(v[0]) * r).sum() } }, flops: nil))
            return layer(x).relu()
        }
        var h = norm("stem", encoder.stemNorm, conv("stem", encoder.stem, images, inputGradient: false))
        for (i, block) in encoder.blocks.enumerated() {
            let first = norm("block \(i)", block.firstNorm, conv("block \(i), first", block.first, h))
            let second = conv("block \(i), second", block.second, first)
            _ = norm("block \(i)", block.secondNorm, second)
            if let skip = block.skip { _ = conv("block \(i), skip", skip, h) }
            h = block(h)
        }
        let r = Tensor.randomNormal([batch, encoder.config.outputWidth], rng: &rng)
        let map = h
        rows.append(Row(op: "spatial softmax", output: [batch, encoder.config.outputWidth], forward: time { _ = map.spatialSoftmax() },
                        forwardBackward: time { _ = valueAndGrad(at: [map]) { v in (v[0].spatialSoftmax() * r).sum() } }, flops: nil))
        return (rows, time { whole.run() })
    }

    /// The median seconds of one call over `repetitions` calls, after one warm-up call.
    func time(_ body: () -> Void) -> Double {
        body()
        let samples = (0..<repetitions).map { _ in KernelBenchmark.time(1, body) }
        return CompareBenchmark.median(samples)
    }
}
