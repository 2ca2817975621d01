extension Tensor {
    /// Group normalisation (Wu & He, 2018) of channels-last activations `[N, …, C]`: the `C` channels
    /// are split into `groups` consecutive groups, and each sample's group is normalised over all its
    /// positions and channels, `(x − mean)/sqrt(var + eps)` (biased variance, as in PyTorch). No
    /// affine part: multiply and add per-channel `[C]` parameters after it, as after `layerNorm`.
    /// It does not mix samples, so it behaves the same at batch 1 and 1024, unlike batch norm.
    /// Backward as in `layerNorm`, over each group: `dx = (dy − mean(dy) − x̂·mean(dy·x̂)) / sqrt(var + eps)`.
    public func groupNorm(groups: Int, eps: Float = 1e-5) -> Tensor {
        precondition(rank >= 2, "groupNorm needs [batch, …, channels], got \(shape)")
        let c = shape[rank - 1], batch = shape[0]
        precondition(groups >= 1 && c % groups == 0, "groupNorm: \(groups) groups do not divide \(c) channels")
        let perGroup = c / groups
        let positions = count / Swift.max(batch * c, 1)
        let elements = Float(positions * perGroup)
        var invStd = [Float](repeating: 0, count: batch * groups)
        let src = storage.pointer
        // Visits the offsets of sample n's group g: every position's run of `perGroup` channels.
        func forEachElement(_ n: Int, _ g: Int, _ body: (Int) -> Void) {
            for s in 0..<positions {
                let base = (n * positions + s) * c + g * perGroup
                for j in 0..<perGroup { body(base + j) }
            }
        }
        let y = Tensor.filled(shape: shape) { o in
            for n in 0..<batch {
                for g in 0..<groups {
                    var mean: Float = 0
                    forEachElement(n, g) { mean += src[$0] }
                    mean /= elements
                    var variance: Float = 0
                    forEachElement(n, g) { let d = src[$0] - mean; variance += d * d }
                    variance /= elements
                    let inv = 1 / (variance + eps).squareRoot()
                    invStd[n * groups + g] = inv
                    forEachElement(n, g) { o[$0] = (src[$0] - mean) * inv }
                }
            }
        }
        let yv = y.detached()
        return Tensor.result(y, input: self) { g in
            let gp = g.storage.pointer, yp = yv.storage.pointer
            return Tensor.filled(shape: yv.shape) { d in
                for n in 0..<batch {
                    for k in 0..<groups {
                        var meanG: Float = 0, meanGY: Float = 0
                        forEachElement(n, k) { meanG += gp[$0]; meanGY += gp[$0] * yp[$0] }
                        meanG /= elements
                        meanGY /= elements
                        let inv = invStd[n * groups + k]
                        forEachElement(n, k) { d[$0] = (gp[$0] - meanG - yp[$0] * meanGY) * inv }
                    }
                }
            }
        }
    }
}
