#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Adam (Kingma & Ba) and AdamW (Loshchilov & Hutter), with a learning-rate schedule.
///
/// ```swift
/// let opt = AdamW(schedule: .constant(1e-3), betas: (0.9, 0.95), weightDecay: 0.01)
/// var (loss, grads) = valueAndGrad(model) { m in lossFn(m) }
/// grads.clipGlobalNorm(1.0)
/// opt.update(model, gradients: grads)
/// ```
///
/// Per parameter, with `t` the step and `g` the gradient:
/// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `p ← p − lr·( m/(1−β₁ᵗ) / (sqrt(v/(1−β₂ᵗ)) + ε) + λ·p )`.
/// AdamW decouples the decay (`λ·p` as written); plain Adam instead adds `λ·p` to `g` (L2 penalty).
/// The state (`m`, `v` per parameter name, and `t`) is exported by `stateTensors()` for checkpoints.
public final class AdamW {
    public var schedule: LearningRateSchedule
    public var beta1: Float
    public var beta2: Float
    public var eps: Float
    public var weightDecay: Float
    /// True: AdamW (decoupled decay). False: Adam with an L2 penalty folded into the gradient.
    public var decoupledWeightDecay: Bool
    /// Updates applied so far.
    public private(set) var step: Int = 0
    var firstMoments: [String: Tensor] = [:]
    var secondMoments: [String: Tensor] = [:]

    public init(schedule: LearningRateSchedule, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
                weightDecay: Float = 0.01, decoupledWeightDecay: Bool = true) {
        self.schedule = schedule
        self.beta1 = betas.0
        self.beta2 = betas.1
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// Adam with an optional L2 penalty (`weightDecay` added to the gradient).
    public static func adam(schedule: LearningRateSchedule, betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8,
                            weightDecay: Float = 0) -> AdamW {
        AdamW(schedule: schedule, betas: betas, eps: eps, weightDecay: weightDecay, decoupledWeightDecay: false)
    }

    /// The learning rate the next update will use.
    public var currentLearningRate: Float { schedule.rate(at: step + 1) }

    /// Applies one update to every trainable parameter that has a gradient.
    public func update(_ model: Module, gradients: Gradients) {
        step += 1
        let update = Step(lr: schedule.rate(at: step), b1: beta1, b2: beta2,
                          c1: 1 - powf(beta1, Float(step)), c2: 1 - powf(beta2, Float(step)),
                          eps: eps, decay: weightDecay, decoupled: decoupledWeightDecay)
        for (name, p) in model.trainableParameters() {
            guard let g = gradients[name] else { continue }
            precondition(g.shape == p.shape, "gradient for \(name) has shape \(g.shape), parameter \(p.shape)")
            // Taken out of the dictionaries (not copied from them) so that each moment's storage has
            // one owner and the update writes it in place instead of copying it first.
            var m = firstMoments.removeValue(forKey: name) ?? Tensor.zeros(p.shape)
            var v = secondMoments.removeValue(forKey: name) ?? Tensor.zeros(p.shape)
            var value = p.value.detached()
            p.value = Tensor(0)  // drop the module's reference so the update can happen in place
            g.withUnsafeBufferPointer { gb in
                m.withUnsafeMutableBufferPointer { mb in
                    v.withUnsafeMutableBufferPointer { vb in
                        value.withUnsafeMutableBufferPointer { pb in
                            update.apply(parameters: pb, gradients: gb, firstMoments: mb, secondMoments: vb)
                        }
                    }
                }
            }
            p.value = value
            firstMoments[name] = m
            secondMoments[name] = v
        }
    }

    /// One update's constants, applied to a parameter's elements 16 at a time (the last ones padded
    /// with zeros). Every lane computes the formula in the type's comment with the same operations
    /// in the same order as a scalar loop would, and IEEE division and square root are correctly
    /// rounded per lane, so each element gets the scalar formula's bits. The square root is
    /// `Kernels.squareRoot`: with `Float.squareRoot()` the loop stayed scalar, 3× slower
    /// (docs/results/speed.md).
    struct Step {
        typealias V = SIMD16<Float>
        let lr, b1, b2, c1, c2, eps, decay: Float
        let decoupled: Bool

        /// The new (parameter, first moment, second moment) of 16 elements.
        @inline(__always)
        func callAsFunction(_ p: V, _ g: V, _ m: V, _ v: V) -> (V, V, V) {
            var g = g
            if !decoupled { g += decay * p }
            let m = b1 * m + (1 - b1) * g
            let v = b2 * v + (1 - b2) * g * g
            let update = (m / c1) / (Kernels.squareRoot(v / c2) + eps)
            return (p - lr * (update + (decoupled ? decay * p : V(repeating: 0))), m, v)
        }

        func apply(parameters p: UnsafeMutableBufferPointer<Float>, gradients g: UnsafeBufferPointer<Float>,
                   firstMoments m: UnsafeMutableBufferPointer<Float>, secondMoments v: UnsafeMutableBufferPointer<Float>) {
            let n = p.count, lanes = V.scalarCount
            let (pp, gp, mp, vp) = (UnsafeMutableRawPointer(p.baseAddress!), UnsafeRawPointer(g.baseAddress!),
                                    UnsafeMutableRawPointer(m.baseAddress!), UnsafeMutableRawPointer(v.baseAddress!))
            var i = 0
            while i + lanes <= n {
                let offset = i * MemoryLayout<Float>.stride
                let (pn, mn, vn) = self(pp.loadUnaligned(fromByteOffset: offset, as: V.self),
                                        gp.loadUnaligned(fromByteOffset: offset, as: V.self),
                                        mp.loadUnaligned(fromByteOffset: offset, as: V.self),
                                        vp.loadUnaligned(fromByteOffset: offset, as: V.self))
                pp.storeBytes(of: pn, toByteOffset: offset, as: V.self)
                mp.storeBytes(of: mn, toByteOffset: offset, as: V.self)
                vp.storeBytes(of: vn, toByteOffset: offset, as: V.self)
                i += lanes
            }
            if i < n {
                var (pt, gt, mt, vt) = (V(), V(), V(), V())
                for j in 0..<(n - i) { (pt[j], gt[j], mt[j], vt[j]) = (p[i + j], g[i + j], m[i + j], v[i + j]) }
                let (pn, mn, vn) = self(pt, gt, mt, vt)
                for j in 0..<(n - i) { (p[i + j], m[i + j], v[i + j]) = (pn[j], mn[j], vn[j]) }
            }
        }
    }

    /// Optimizer state as named tensors: `m.<param>`, `v.<param>`, and `step` as two Float32s
    /// `[step / 2¹⁶, step mod 2¹⁶]`, exact for any realistic step count (a single Float32 is exact
    /// only below 2²⁴).
    public func stateTensors() -> [String: Tensor] {
        var out: [String: Tensor] = ["step": Tensor([Float(step >> 16), Float(step & 0xFFFF)])]
        for (k, t) in firstMoments { out["m.\(k)"] = t }
        for (k, t) in secondMoments { out["v.\(k)"] = t }
        return out
    }

    /// Restores state written by `stateTensors()`.
    public func loadState(_ tensors: [String: Tensor]) throws {
        guard let s = tensors["step"], s.count == 2, s.scalars.allSatisfy({ $0 >= 0 && $0 == $0.rounded() }),
              s.scalars[1] < 65536 else {
            throw OptimizerStateError.missingStep
        }
        var m: [String: Tensor] = [:], v: [String: Tensor] = [:]
        for (k, t) in tensors {
            if k.hasPrefix("m.") { m[String(k.dropFirst(2))] = t.detached() }
            else if k.hasPrefix("v.") { v[String(k.dropFirst(2))] = t.detached() }
            else if k != "step" { throw OptimizerStateError.unexpectedEntry(k) }
        }
        guard Set(m.keys) == Set(v.keys) else { throw OptimizerStateError.unpairedMoments(Array(Set(m.keys).symmetricDifference(v.keys)).sorted()) }
        step = Int(s.scalars[0]) << 16 + Int(s.scalars[1])
        firstMoments = m
        secondMoments = v
    }
}

/// Errors from restoring optimizer state.
public enum OptimizerStateError: Error, CustomStringConvertible, Equatable {
    case missingStep
    case unexpectedEntry(String)
    case unpairedMoments([String])

    public var description: String {
        switch self {
        case .missingStep: return "The optimizer state has no valid 'step' entry; the checkpoint is incomplete or not an optimizer state."
        case .unexpectedEntry(let k): return "The optimizer state has an unexpected entry '\(k)'; it was not written by FlowTune's AdamW."
        case .unpairedMoments(let names): return "The optimizer state has first and second moments for different parameters (\(names.joined(separator: ", "))); the checkpoint is corrupt."
        }
    }
}
