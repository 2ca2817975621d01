extension Tensor {
    /// Normalises over the last axis: `(x − mean)/sqrt(var + eps)` (biased variance, as in PyTorch).
    /// One fused op with the closed-form backward
    /// `dx = (dy − mean(dy) − x̂·mean(dy·x̂)) / sqrt(var + eps)`.
    public func layerNorm(eps: Float = 1e-5) -> Tensor {
        precondition(rank >= 1, "layerNorm needs rank ≥ 1")
        let n = shape[rank - 1]
        let rows = count / Swift.max(n, 1)
        var invStd = [Float](repeating: 0, count: rows)
        let src = storage.pointer
        let y = Tensor.filled(shape: shape) { o in
            for r in 0..<rows {
                let x = src + r * n
                var mean: Float = 0
                for j in 0..<n { mean += x[j] }
                mean /= Float(n)
                var variance: Float = 0
                for j in 0..<n { let d = x[j] - mean; variance += d * d }
                variance /= Float(n)
                let inv = 1 / (variance + eps).squareRoot()
                invStd[r] = inv
                for j in 0..<n { o[r * n + j] = (x[j] - mean) * inv }
            }
        }
        let yv = y.detached()
        return Tensor.result(y, input: self) { g in
            let gp = g.storage.pointer, yp = yv.storage.pointer
            return Tensor.filled(shape: yv.shape) { d in
                for r in 0..<rows {
                    var meanG: Float = 0, meanGY: Float = 0
                    for j in 0..<n {
                        meanG += gp[r * n + j]
                        meanGY += gp[r * n + j] * yp[r * n + j]
                    }
                    meanG /= Float(n)
                    meanGY /= Float(n)
                    for j in 0..<n {
                        d[r * n + j] = (gp[r * n + j] - meanG - yp[r * n + j] * meanGY) * invStd[r]
                    }
                }
            }
        }
    }
}
