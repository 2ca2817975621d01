/// An n-dimensional array of Float32 values in row-major order, with optional gradient tracking.
///
/// ```swift
/// let x = Tensor([1, 2, 3, 4], shape: [2, 2])
/// let y = (x * x).sum()                     // a scalar tensor (shape [])
/// let (value, grads) = valueAndGrad(at: [x]) { xs in (xs[0] * xs[0]).sum() }   // grads[0] = 2x
/// ```
///
/// Tensors are values: operations return new tensors and never change their inputs. A tensor takes
/// part in a gradient computation only when it was derived from an input of `valueAndGrad`; everything
/// else (e.g. rollouts) builds no graph and pays nothing for autodiff.
public struct Tensor {
    /// The extent of each axis; `[]` for a scalar.
    public let shape: [Int]
    @usableFromInline var storage: TensorStorage
    /// The node that records how this tensor was computed, when it depends on a differentiated input.
    var node: GradNode?

    init(shape: [Int], storage: TensorStorage, node: GradNode? = nil) {
        precondition(storage.count == Tensor.count(of: shape), "storage does not match shape \(shape)")
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// A tensor holding `values` (row-major) with the given shape.
    public init(_ values: [Float], shape: [Int]) {
        precondition(values.count == Tensor.count(of: shape),
                     "Tensor(_:shape:): \(values.count) values cannot fill shape \(shape)")
        self.init(shape: shape, storage: TensorStorage(copying: values))
    }

    /// A rank-1 tensor holding `values`.
    public init(_ values: [Float]) { self.init(values, shape: [values.count]) }

    /// A scalar (rank-0) tensor.
    public init(_ value: Float) { self.init([value], shape: []) }

    /// A tensor of the given shape filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(repeating: value, count: Tensor.count(of: shape)))
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// A tensor filled by `body`, which receives the uninitialised buffer and must write every element.
    public static func filled(shape: [Int], _ body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows -> Tensor {
        let storage = TensorStorage(uninitializedCount: count(of: shape))
        try body(storage.buffer)
        return Tensor(shape: shape, storage: storage)
    }

    /// A tensor of zeros into which `body` writes some elements: the gradient of a slice, a
    /// gather, a pooling window or a shift, which reaches only part of its input.
    public static func zeroFilled(shape: [Int], _ body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows -> Tensor {
        try filled(shape: shape) { buffer in
            buffer.initialize(repeating: 0)
            try body(buffer)
        }
    }

    /// Normal samples `mean + std·z` from `rng` (no global state: the same generator state gives the same tensor).
    public static func randomNormal(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: inout RandomGenerator) -> Tensor {
        filled(shape: shape) { rng.fillNormal($0, mean: mean, std: std) }
    }

    /// Uniform samples in `[low, high)` from `rng`.
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1, rng: inout RandomGenerator) -> Tensor {
        filled(shape: shape) { rng.fillUniform($0, low: low, high: high) }
    }

    /// Number of elements of a shape (1 for a scalar).
    @inlinable public static func count(of shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            precondition(d >= 0, "negative dimension in shape \(shape)")
            n *= d
        }
        return n
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs a one-element tensor, got shape \(shape)")
        return storage.pointer[0]
    }

    /// The values in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The largest |value| (0 for an empty tensor), read in place: a diagnostic value, not an op
    /// (no gradient).
    public var largestMagnitude: Float {
        withUnsafeBufferPointer { $0.reduce(0) { Swift.max($0, Swift.abs($1)) } }
    }

    /// Read access to the values in row-major order.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Write access to the values (copy-on-write). Writing into a tensor that is part of a recorded
    /// graph would silently invalidate its gradient, so it is a programmer error.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(node == nil, "cannot mutate a tensor that is tracked for gradients; use .detached()")
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() } else { storage.dropPacked() }
        return try body(storage.buffer)
    }

    /// True when this tensor depends on an input being differentiated.
    public var isTracked: Bool { node != nil }

    /// The same values, cut from any gradient graph (gradients do not flow through the result).
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// Element at a multi-index (slow; for tests and printing).
    public subscript(_ index: Int...) -> Float {
        precondition(index.count == rank, "index \(index) does not match rank \(rank)")
        var offset = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "index \(index) out of bounds for shape \(shape)")
            offset = offset * d + i
        }
        return storage.pointer[offset]
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}

/// Row-major strides of a shape.
@inlinable func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = s
        s *= shape[i]
    }
    return strides
}

/// Normalises a possibly negative axis against a rank.
@inlinable func normalizeAxis(_ axis: Int, rank: Int) -> Int {
    let a = axis < 0 ? axis + rank : axis
    precondition(a >= 0 && a < rank, "axis \(axis) out of range for rank \(rank)")
    return a
}
