extension Tensor {
    /// DrQ's image augmentation (Kostrikov et al., 2020) on NHWC images `[N, H, W, C]`: each image is
    /// padded by `pad` pixels that repeat its border and cropped back to `H × W` at a random offset,
    /// i.e. shifted by whole pixels `(dy, dx)`, each uniform in `[−pad, pad]` and drawn per image from
    /// `rng` (dy first). The same generator state gives the same shifts. Differentiable in the
    /// images: each output pixel's gradient flows back to the pixel it was copied from.
    public func randomShift(pad: Int, rng: inout RandomGenerator) -> Tensor {
        precondition(rank == 4, "randomShift takes [batch, height, width, channels], got \(shape)")
        precondition(pad >= 0, "randomShift: pad must be ≥ 0, got \(pad)")
        let (batch, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
        var shifts: [(dy: Int, dx: Int)] = []
        for _ in 0..<batch {
            let dy = rng.nextInt(below: 2 * pad + 1) - pad
            let dx = rng.nextInt(below: 2 * pad + 1) - pad
            shifts.append((dy, dx))
        }
        // The input offset of every output pixel (the same for all its channels).
        var source = [Int](repeating: 0, count: batch * h * w)
        for n in 0..<batch {
            for y in 0..<h {
                let sy = Swift.min(Swift.max(y + shifts[n].dy, 0), h - 1)
                for x in 0..<w {
                    let sx = Swift.min(Swift.max(x + shifts[n].dx, 0), w - 1)
                    source[(n * h + y) * w + x] = ((n * h + sy) * w + sx) * c
                }
            }
        }
        let src = storage.pointer
        let out = Tensor.filled(shape: shape) { o in
            for p in 0..<source.count { (o.baseAddress! + p * c).update(from: src + source[p], count: c) }
        }
        let inShape = shape
        return Tensor.result(out, input: self) { g in
            let gp = g.storage.pointer
            return Tensor.zeroFilled(shape: inShape) { d in
                for p in 0..<source.count {
                    Kernels.addInPlace(d.baseAddress! + source[p], gp + p * c, c)
                }
            }
        }
    }
}
