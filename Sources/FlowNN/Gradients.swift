/// Gradients of a module's trainable parameters, by parameter name.
///
/// ```swift
/// var (loss, grads) = valueAndGrad(model) { m in lossFn(m(x), y) }
/// grads += valueAndGrad(model) { m in lossFn(m(x2), y2) }.gradients   // accumulate
/// let norm = grads.clipGlobalNorm(1.0)
/// ```
public struct Gradients {
    /// Parameter names in the module's declaration order.
    public private(set) var names: [String]
    public private(set) var tensors: [String: Tensor]

    public init(names: [String], tensors: [String: Tensor]) {
        self.names = names
        self.tensors = tensors
    }

    public subscript(name: String) -> Tensor? { tensors[name] }

    /// Zero gradients shaped like the module's trainable parameters.
    public static func zeros(like module: Module) -> Gradients {
        let params = module.trainableParameters()
        return Gradients(names: params.map(\.name),
                         tensors: Dictionary(uniqueKeysWithValues: params.map { ($0.name, Tensor.zeros($0.parameter.shape)) }))
    }

    /// Adds `other` into `self` (names missing on one side are taken from the other).
    public static func += (lhs: inout Gradients, rhs: Gradients) {
        for name in rhs.names {
            guard let g = rhs.tensors[name] else { continue }
            if let existing = lhs.tensors[name] {
                lhs.tensors[name] = existing + g
            } else {
                lhs.names.append(name)
                lhs.tensors[name] = g
            }
        }
    }

    /// The gradients of the parameters in `names` alone, in declaration order.
    public func restricted(to names: Set<String>) -> Gradients {
        let kept = self.names.filter { names.contains($0) }
        return Gradients(names: kept, tensors: tensors.filter { names.contains($0.key) })
    }

    /// Every gradient multiplied by `factor` (e.g. 1/k after accumulating k minibatches).
    public func scaled(by factor: Float) -> Gradients {
        Gradients(names: names, tensors: tensors.mapValues { $0 * factor })
    }

    /// `sqrt(Σ g²)` over all gradients, accumulated in Float64.
    public var globalNorm: Float {
        var total = 0.0
        for name in names {
            guard let g = tensors[name] else { continue }
            g.withUnsafeBufferPointer { b in for v in b { total += Double(v) * Double(v) } }
        }
        return Float(total.squareRoot())
    }

    /// True when every gradient is finite.
    public var isFinite: Bool {
        for g in tensors.values {
            let ok = g.withUnsafeBufferPointer { b in b.isEmpty || Kernels.allFinite(b.baseAddress!, b.count) }
            if !ok { return false }
        }
        return true
    }

    /// Scales all gradients so their global norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public mutating func clipGlobalNorm(_ maxNorm: Float) -> Float {
        let norm = globalNorm
        if norm > maxNorm && norm > 0 {
            self = scaled(by: maxNorm / norm)
        }
        return norm
    }
}

/// The value of `f(model)` and the gradients of its trainable parameters.
///
/// ```swift
/// let (loss, grads) = valueAndGrad(model) { m in (m(x) - y).square().mean() }
/// optimizer.update(model, gradients: grads)
/// ```
/// During `f` the parameters are the differentiated inputs; frozen parameters are constants.
/// The module's parameter values are restored to plain (untracked) tensors afterwards.
public func valueAndGrad<M: Module>(_ model: M, _ f: (M) throws -> Tensor) rethrows -> (value: Tensor, gradients: Gradients) {
    let params = model.trainableParameters()
    let originals = params.map { $0.parameter.value }
    defer { for (p, v) in zip(params, originals) { p.parameter.value = v } }
    let (value, grads) = try valueAndGrad(at: originals) { leaves in
        for (p, leaf) in zip(params, leaves) { p.parameter.value = leaf }
        return try f(model)
    }
    return (value, Gradients(names: params.map(\.name),
                             tensors: Dictionary(uniqueKeysWithValues: zip(params.map(\.name), grads))))
}
