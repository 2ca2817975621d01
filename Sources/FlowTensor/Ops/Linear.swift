#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Activation functions that the fused linear op applies in the same pass as the bias.
public enum Activation: String, Sendable, Codable, CaseIterable {
    case identity, relu, silu, gelu, tanh, sigmoid

    /// Applies the activation as a tracked op (for use outside the fused path).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .identity: return x
        case .relu: return x.relu()
        case .silu: return x.silu()
        case .gelu: return x.gelu()
        case .tanh: return x.tanh()
        case .sigmoid: return x.sigmoid()
        }
    }
}

/// `activation(x·Wᵀ + b)` in one op: the bias is written into the output before the GEMM
/// accumulates onto it (so it costs nothing extra), and the activation runs on the GEMM's output
/// while it is hot in cache. `weight` is `[out, in]` (the PyTorch layout), `x` is `[…, in]`.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, activation: Activation = .identity) -> Tensor {
    precondition(weight.rank == 2, "linear: weight must be [out, in], got \(weight.shape)")
    let inF = weight.shape[1], outF = weight.shape[0]
    precondition(x.shape.last == inF, "linear: input \(x.shape) does not end in \(inF) features")
    if let bias { precondition(bias.shape == [outF], "linear: bias must be [\(outF)], got \(bias.shape)") }
    let rows = x.count / Swift.max(inF, 1)
    let outShape = Array(x.shape.dropLast()) + [outF]

    // Pre-activation z = x·Wᵀ + b.
    let px = x.storage.pointer, pw = weight.storage.pointer
    let z = Tensor.filled(shape: outShape) { o in
        let po = o.baseAddress!
        if let bias {
            for r in 0..<rows { (po + r * outF).update(from: bias.storage.pointer, count: outF) }
        }
        SGEMM.multiply(transposeA: false, transposeB: true, m: rows, n: outF, k: inF,
                       a: px, lda: inF, b: pw, ldb: inF, beta: bias == nil ? 0 : 1, c: po, ldc: outF)
    }
    let y = activation == .identity ? z : applyActivationValue(activation, z)
    var inputs = [x, weight]
    if let bias { inputs.append(bias) }
    let xv = x.detached(), wv = weight.detached()
    return Tensor.result(y, inputs: inputs) { g, needs in
        let dz = activation == .identity ? g : g * activationDerivative(activation, preActivation: z, output: y)
        let dz2 = dz.reshapedValue([rows, outF])
        let x2 = xv.reshapedValue([rows, inF])
        var grads: [Tensor?] = [
            needs[0] ? matmulValue(dz2, wv, false, false).reshapedValue(xv.shape) : nil,
            needs[1] ? matmulValue(dz2, x2, true, false) : nil,
        ]
        if bias != nil { grads.append(needs[2] ? dz2.sumAxisKeepingDim(0).reshapedValue([outF]) : nil) }
        return grads
    }
}

/// The activation applied to an untracked tensor.
func applyActivationValue(_ activation: Activation, _ z: Tensor) -> Tensor {
    activation(z.detached()).detached()
}

/// `dy/dz` of the activation, from the pre-activation `z` and output `y` (whichever is cheaper).
func activationDerivative(_ activation: Activation, preActivation z: Tensor, output y: Tensor) -> Tensor {
    switch activation {
    case .identity:
        return Tensor.ones(z.shape)
    case .relu:
        return z.mapElements({ SIMD16<Float>(repeating: 0).replacing(with: 1, where: $0 .> 0) })
    case .tanh:
        return y.mapElements({ 1 - $0 * $0 })
    case .sigmoid:
        return y.mapElements({ $0 * (1 - $0) })
    case .silu:
        return z.mapElements({ x in
            let s = Kernels.sigmoid(x)
            return s * (1 + x * (1 - s))
        })
    case .gelu:
        return z.geluDerivative()
    }
}
