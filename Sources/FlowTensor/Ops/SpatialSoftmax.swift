extension Tensor {
    /// Spatial soft-argmax keypoints (Levine et al., 2016) of NHWC feature maps `[N, H, W, C]`: each
    /// channel's map becomes a softmax over its `H·W` positions, and the keypoint is the expected
    /// position under it, `(Σ p·x, Σ p·y)` with `x` and `y` spanning [−1, 1] across the width and the
    /// height. Returns `[N, 2C]`: the C expected x, then the C expected y. `temperature` divides the
    /// logits (smaller = sharper). With `p = softmax(z/T)` and `e = Σ p·u` for a coordinate `u`,
    /// `∂e/∂z_i = p_i (u_i − e) / T`.
    public func spatialSoftmax(temperature: Float = 1) -> Tensor {
        precondition(rank == 4, "spatialSoftmax takes [batch, height, width, channels], got \(shape)")
        precondition(temperature > 0, "spatialSoftmax: temperature must be positive, got \(temperature)")
        let (batch, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
        let positions = h * w
        // Pixel centres' coordinates in [−1, 1] (a single row or column sits at 0).
        let xs = (0..<w).map { w == 1 ? Float(0) : -1 + 2 * Float($0) / Float(w - 1) }
        let ys = (0..<h).map { h == 1 ? Float(0) : -1 + 2 * Float($0) / Float(h - 1) }
        var probabilities = [Float](repeating: 0, count: count)   // same NHWC layout as the input
        let src = storage.pointer
        let y = Tensor.filled(shape: [batch, 2 * c]) { o in
            for n in 0..<batch {
                for k in 0..<c {
                    var top = -Float.infinity
                    for s in 0..<positions { top = Swift.max(top, src[(n * positions + s) * c + k] / temperature) }
                    var total: Float = 0
                    for s in 0..<positions {
                        let e = Kernels.exp(src[(n * positions + s) * c + k] / temperature - top)
                        probabilities[(n * positions + s) * c + k] = e
                        total += e
                    }
                    var ex: Float = 0, ey: Float = 0
                    for s in 0..<positions {
                        let i = (n * positions + s) * c + k
                        probabilities[i] /= total
                        ex += probabilities[i] * xs[s % w]
                        ey += probabilities[i] * ys[s / w]
                    }
                    o[n * 2 * c + k] = ex
                    o[n * 2 * c + c + k] = ey
                }
            }
        }
        let yv = y.detached(), inShape = shape
        return Tensor.result(y, input: self) { g in
            let gp = g.storage.pointer, op = yv.storage.pointer
            return Tensor.filled(shape: inShape) { d in
                for n in 0..<batch {
                    for k in 0..<c {
                        let gx = gp[n * 2 * c + k], gy = gp[n * 2 * c + c + k]
                        let ex = op[n * 2 * c + k], ey = op[n * 2 * c + c + k]
                        for s in 0..<positions {
                            let i = (n * positions + s) * c + k
                            d[i] = probabilities[i] * (gx * (xs[s % w] - ex) + gy * (ys[s / w] - ey)) / temperature
                        }
                    }
                }
            }
        }
    }
}
