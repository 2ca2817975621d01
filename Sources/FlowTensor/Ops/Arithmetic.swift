/// Broadcasting arithmetic: `+ - * /`, `minimum`, `maximum`, with tensors or Float scalars.
/// Each backward rule reduces the output gradient to the operand's shape (`sumToShape`).
extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let value = broadcastZip(a, b, { $0 + $1 }, { $0 + $1 })
        let sa = a.shape, sb = b.shape
        return result(value, inputs: [a, b]) { g, needs in
            [needs[0] ? g.sumToShape(sa) : nil, needs[1] ? g.sumToShape(sb) : nil]
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let value = broadcastZip(a, b, { $0 - $1 }, { $0 - $1 })
        let sa = a.shape, sb = b.shape
        return result(value, inputs: [a, b]) { g, needs in
            [needs[0] ? g.sumToShape(sa) : nil, needs[1] ? (-g).sumToShape(sb) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let value = broadcastZip(a, b, { $0 * $1 }, { $0 * $1 })
        let av = a.detached(), bv = b.detached()
        return result(value, inputs: [a, b]) { g, needs in
            [needs[0] ? (g * bv).sumToShape(av.shape) : nil, needs[1] ? (g * av).sumToShape(bv.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let value = broadcastZip(a, b, { $0 / $1 }, { $0 / $1 })
        let av = a.detached(), bv = b.detached()
        return result(value, inputs: [a, b]) { g, needs in
            [needs[0] ? (g / bv).sumToShape(av.shape) : nil,
             needs[1] ? (-(g * av) / (bv * bv)).sumToShape(bv.shape) : nil]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor {
        let value = Tensor.filled(shape: a.shape) { o in
            Kernels.map(a.storage.pointer, o.baseAddress!, a.count, { -$0 })
        }
        return result(value, input: a) { g in -g }
    }

    public static func + (a: Tensor, b: Float) -> Tensor { a + Tensor(b) }
    public static func + (a: Float, b: Tensor) -> Tensor { Tensor(a) + b }
    public static func - (a: Tensor, b: Float) -> Tensor { a - Tensor(b) }
    public static func - (a: Float, b: Tensor) -> Tensor { Tensor(a) - b }
    public static func * (a: Tensor, b: Float) -> Tensor { a * Tensor(b) }
    public static func * (a: Float, b: Tensor) -> Tensor { Tensor(a) * b }
    public static func / (a: Tensor, b: Float) -> Tensor { a * Tensor(1 / b) }
    public static func / (a: Float, b: Tensor) -> Tensor { Tensor(a) / b }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
}

/// Elementwise minimum with broadcasting; the gradient goes to `a` where `a ≤ b`, else to `b`.
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
    let value = Tensor.broadcastZip(a, b, { $0.replacing(with: $1, where: $1 .< $0) }, { Swift.min($0, $1) })
    let av = a.detached(), bv = b.detached()
    return Tensor.result(value, inputs: [a, b]) { g, needs in
        let takeA = Tensor.broadcastZip(av, bv, { SIMD16<Float>(repeating: 0).replacing(with: 1, where: $0 .<= $1) },
                                        { $0 <= $1 ? 1 : 0 })
        return [needs[0] ? (g * takeA).sumToShape(av.shape) : nil,
                needs[1] ? (g * (1 - takeA)).sumToShape(bv.shape) : nil]
    }
}

/// Elementwise maximum with broadcasting; the gradient goes to `a` where `a ≥ b`, else to `b`.
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
    let value = Tensor.broadcastZip(a, b, { $0.replacing(with: $1, where: $1 .> $0) }, { Swift.max($0, $1) })
    let av = a.detached(), bv = b.detached()
    return Tensor.result(value, inputs: [a, b]) { g, needs in
        let takeA = Tensor.broadcastZip(av, bv, { SIMD16<Float>(repeating: 0).replacing(with: 1, where: $0 .>= $1) },
                                        { $0 >= $1 ? 1 : 0 })
        return [needs[0] ? (g * takeA).sumToShape(av.shape) : nil,
                needs[1] ? (g * (1 - takeA)).sumToShape(bv.shape) : nil]
    }
}
