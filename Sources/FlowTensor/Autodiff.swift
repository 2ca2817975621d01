/// One recorded operation in a gradient graph.
///
/// A node exists only for tensors that depend on an input of `valueAndGrad`. It keeps its parents'
/// nodes (nil for inputs that need no gradient) and a rule that maps the gradient of its output to
/// the gradients of its inputs (tinygrad/micrograd style: a small set of primitives, each with a
/// hand-written backward rule checked by finite differences in the tests).
final class GradNode {
    /// Nodes of the inputs, aligned with the rule's returned gradients; nil where no gradient is needed.
    let parents: [GradNode?]
    /// Gradient of the output ↦ gradients of the inputs (nil where `parents[i]` is nil).
    let rule: (Tensor) -> [Tensor?]
    /// For leaves (inputs of `valueAndGrad`): their position in the input list.
    let leafIndex: Int?
    let shape: [Int]

    init(parents: [GradNode?], shape: [Int], rule: @escaping (Tensor) -> [Tensor?]) {
        self.parents = parents
        self.rule = rule
        self.leafIndex = nil
        self.shape = shape
    }

    init(leafIndex: Int, shape: [Int]) {
        self.parents = []
        self.rule = { _ in [] }
        self.leafIndex = leafIndex
        self.shape = shape
    }
}

extension Tensor {
    /// Wraps a freshly computed value as the result of an op on `inputs`. A node is recorded only
    /// when some input is tracked; `rule` receives the output gradient and a mask of which inputs need
    /// one, and returns a gradient (of the input's shape) for each input that does.
    static func result(_ value: Tensor, inputs: [Tensor],
                       rule: @escaping (_ gradient: Tensor, _ needs: [Bool]) -> [Tensor?]) -> Tensor {
        var any = false
        for t in inputs where t.node != nil { any = true; break }
        guard any else { return value }
        let parents = inputs.map { $0.node }
        let needs = parents.map { $0 != nil }
        let node = GradNode(parents: parents, shape: value.shape) { g in rule(g, needs) }
        return Tensor(shape: value.shape, storage: value.storage, node: node)
    }

    /// Same as `result(_:inputs:rule:)` for a single input.
    static func result(_ value: Tensor, input: Tensor, rule: @escaping (_ gradient: Tensor) -> Tensor) -> Tensor {
        guard input.node != nil else { return value }
        let node = GradNode(parents: [input.node], shape: value.shape) { g in [rule(g)] }
        return Tensor(shape: value.shape, storage: value.storage, node: node)
    }

    /// This tensor marked as the `index`-th differentiated input.
    func asLeaf(_ index: Int) -> Tensor {
        Tensor(shape: shape, storage: storage, node: GradNode(leafIndex: index, shape: shape))
    }
}

/// Reverse-mode sweep from `output` (seeded with `seed`, ones by default) to the leaves.
/// Returns one gradient per leaf index in `0..<leafCount`, zeros for leaves the output does not reach.
func backpropagate(_ output: Tensor, seed: Tensor? = nil, leafShapes: [[Int]]) -> [Tensor] {
    // A leaf's first gradient is taken as it is and later ones are added into it (no zero tensor to
    // add to). Accumulators are taken out of their container before the addition, so the addition
    // writes in place instead of copying a still-shared buffer first.
    var grads = [Tensor?](repeating: nil, count: leafShapes.count)
    func finished() -> [Tensor] { zip(grads, leafShapes).map { g, shape in g ?? Tensor.zeros(shape) } }
    guard let root = output.node else { return finished() }

    // Post-order DFS gives a topological order; process it reversed.
    var order: [GradNode] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(GradNode, Int)] = [(root, 0)]
    visited.insert(ObjectIdentifier(root))
    while let (node, next) = stack.popLast() {
        if next < node.parents.count {
            stack.append((node, next + 1))
            if let p = node.parents[next], visited.insert(ObjectIdentifier(p)).inserted {
                stack.append((p, 0))
            }
        } else {
            order.append(node)
        }
    }

    var pending: [ObjectIdentifier: Tensor] = [:]
    pending[ObjectIdentifier(root)] = seed?.detached() ?? Tensor.ones(output.shape)
    for node in order.reversed() {
        guard let g = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
        if let leaf = node.leafIndex {
            if var existing = grads[leaf].take() {
                existing.accumulate(g)
                grads[leaf] = existing
            } else {
                grads[leaf] = g.detached()
            }
            continue
        }
        let inputGrads = node.rule(g)
        for (parent, grad) in zip(node.parents, inputGrads) {
            guard let parent, let grad else { continue }
            precondition(grad.shape == parent.shape,
                         "backward rule produced shape \(grad.shape) for an input of shape \(parent.shape)")
            let key = ObjectIdentifier(parent)
            if var existing = pending.removeValue(forKey: key) {
                existing.accumulate(grad)
                pending[key] = existing
            } else {
                pending[key] = grad
            }
        }
    }
    return finished()
}

extension Tensor {
    /// `self += other` for a gradient, written into `self`'s storage when no other tensor shares it
    /// (else into a copy, as every write through `withUnsafeMutableBufferPointer`).
    mutating func accumulate(_ other: Tensor) {
        precondition(shape == other.shape, "gradient shapes differ: \(shape) vs \(other.shape)")
        self = detached()  // drops the node (and its reference) so the storage can be unique
        withUnsafeMutableBufferPointer { o in
            other.withUnsafeBufferPointer { b in Kernels.addInPlace(o.baseAddress!, b.baseAddress!, o.count) }
        }
    }
}

/// The value of `f` at `inputs` and its gradient with respect to each input.
///
/// ```swift
/// let (loss, grads) = valueAndGrad(at: [w, b]) { p in ((x.matmul(p[0]) + p[1]) - y).square().mean() }
/// ```
/// `f` must return a scalar (one-element) tensor. Inputs are treated as independent leaves even if
/// they were computed from each other.
public func valueAndGrad(at inputs: [Tensor], _ f: ([Tensor]) throws -> Tensor) rethrows -> (value: Tensor, gradients: [Tensor]) {
    let leaves = inputs.enumerated().map { $0.element.detached().asLeaf($0.offset) }
    let out = try f(leaves)
    precondition(out.count == 1, "valueAndGrad needs a scalar output, got shape \(out.shape)")
    let grads = backpropagate(out, leafShapes: inputs.map(\.shape))
    return (out.detached(), grads)
}

/// Vector–Jacobian product: the gradient of `sum(f(inputs) · cotangent)` with respect to each input.
public func vjp(at inputs: [Tensor], cotangent: Tensor, _ f: ([Tensor]) throws -> Tensor) rethrows -> (value: Tensor, gradients: [Tensor]) {
    let leaves = inputs.enumerated().map { $0.element.detached().asLeaf($0.offset) }
    let out = try f(leaves)
    precondition(out.shape == cotangent.shape, "cotangent shape \(cotangent.shape) ≠ output shape \(out.shape)")
    let grads = backpropagate(out, seed: cotangent, leafShapes: inputs.map(\.shape))
    return (out.detached(), grads)
}
