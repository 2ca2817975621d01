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

    // Pre-activation z = x·Wᵀ + b, with W packed once per update (PackedPanels.swift).
    let px = x.storage.pointer, pw = weight.storage.pointer
    let packedW = weight.storage.packedAsTransposedOperand(rows: outF, columns: inF)
    let z = Tensor.filled(shape: outShape) { o in
        let po = o.baseAddress!
        if let bias {
            for r in 0..<rows { (po + r * outF).update(from: bias.storage.pointer, count: outF) }
        }
        SGEMM.multiply(transposeA: false, transposeB: true, m: rows, n: outF, k: inF,
                       a: px, lda: inF, b: pw, ldb: inF, beta: bias == nil ? 0 : 1, c: po, ldc: outF, packedB: packedW)
    }
    let y = activation == .identity ? z : applyActivationValue(activation, z)
    var inputs = [x, weight]
    if let bias { inputs.append(bias) }
    let xv = x.detached(), wv = weight.detached()
    return Tensor.result(y, inputs: inputs) { g, needs in
        let dz = activation == .identity ? g : activationGradient(activation, g, preActivation: z, output: y)
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

/// The activation applied to an untracked tensor, in one pass (the same bits as the tracked op:
/// `Tensor.silu()` computes `x·σ(x)` in two passes).
func applyActivationValue(_ activation: Activation, _ z: Tensor) -> Tensor {
    let src = z.storage.pointer, n = z.count
    return Tensor.filled(shape: z.shape) { o in
        let out = o.baseAddress!
        switch activation {
        case .identity: Kernels.activate(src, out, n, IdentityActivation.self)
        case .relu: Kernels.activate(src, out, n, ReLUActivation.self)
        case .silu: Kernels.activate(src, out, n, SiLUActivation.self)
        case .gelu: Kernels.activate(src, out, n, GELUActivation.self)
        case .tanh: Kernels.activate(src, out, n, TanhActivation.self)
        case .sigmoid: Kernels.activate(src, out, n, SigmoidActivation.self)
        }
    }
}

/// `g · dy/dz` of the activation in one pass, from the pre-activation `z` and output `y`: the
/// derivative is formed first, then multiplied (`VectorActivation.derivative`).
func activationGradient(_ activation: Activation, _ g: Tensor, preActivation z: Tensor, output y: Tensor) -> Tensor {
    precondition(g.shape == z.shape && y.shape == z.shape, "activationGradient: shapes \(g.shape), \(z.shape), \(y.shape)")
    let pg = g.storage.pointer, pz = z.storage.pointer, py = y.storage.pointer, n = z.count
    return Tensor.filled(shape: z.shape) { o in
        let out = o.baseAddress!
        switch activation {
        case .identity: Kernels.activationBackward(pg, pz, py, out, n, IdentityActivation.self)
        case .relu: Kernels.activationBackward(pg, pz, py, out, n, ReLUActivation.self)
        case .silu: Kernels.activationBackward(pg, pz, py, out, n, SiLUActivation.self)
        case .gelu: Kernels.activationBackward(pg, pz, py, out, n, GELUActivation.self)
        case .tanh: Kernels.activationBackward(pg, pz, py, out, n, TanhActivation.self)
        case .sigmoid: Kernels.activationBackward(pg, pz, py, out, n, SigmoidActivation.self)
        }
    }
}
