import FlowTensor
import Testing

/// Finite-difference check of reverse-mode gradients.
///
/// The op's output is reduced to a scalar with a fixed random cotangent `c`, `L(x) = Σ f(x)·c`,
/// accumulated in Float64 so the only float32 error is in `f` itself. Central differences with step
/// `h` are compared with the autodiff vector–Jacobian product element by element.
struct GradientChecker {
    var step: Float = 1e-2
    var absoluteTolerance: Double = 2e-3
    var relativeTolerance: Double = 2e-2

    /// Returns the worst mismatch found, with a description, or nil when every element agrees.
    func mismatch(_ inputs: [Tensor], seed: UInt64 = 0, _ f: ([Tensor]) -> Tensor) -> String? {
        let out = f(inputs)
        var rng = RandomGenerator(seed: 1000 + seed)
        let cot = Tensor.randomNormal(out.shape, rng: &rng)
        let cotValues = cot.scalars.map(Double.init)

        func loss(_ xs: [Tensor]) -> Double {
            let y = f(xs).scalars
            var s = 0.0
            for i in 0..<y.count { s += Double(y[i]) * cotValues[i] }
            return s
        }

        let (_, grads) = vjp(at: inputs, cotangent: cot, f)
        for (i, x) in inputs.enumerated() {
            let analytic = grads[i].scalars
            #expect(grads[i].shape == x.shape, "gradient \(i) has shape \(grads[i].shape), input has \(x.shape)")
            let values = x.scalars
            for j in 0..<values.count {
                var plus = values, minus = values
                plus[j] += step
                minus[j] -= step
                var xsPlus = inputs, xsMinus = inputs
                xsPlus[i] = Tensor(plus, shape: x.shape)
                xsMinus[i] = Tensor(minus, shape: x.shape)
                let numeric = (loss(xsPlus) - loss(xsMinus)) / (2 * Double(step))
                let a = Double(analytic[j])
                let allowed = absoluteTolerance + relativeTolerance * max(abs(a), abs(numeric))
                if !(abs(a - numeric) <= allowed) {
                    return "input \(i) \(x.shape) element \(j): autodiff \(a), finite difference \(numeric)"
                }
            }
        }
        return nil
    }
}

/// Random shapes and values for the checks.
struct ShapeSampler {
    var rng: RandomGenerator

    init(seed: UInt64) { rng = RandomGenerator(seed: seed) }

    mutating func shape(rank: Int, maxExtent: Int = 4) -> [Int] {
        (0..<rank).map { _ in 1 + rng.nextInt(below: maxExtent) }
    }

    /// `shape` with some axes set to 1 and some leading axes dropped: broadcastable to `shape`.
    mutating func broadcastable(to shape: [Int]) -> [Int] {
        let drop = rng.nextInt(below: shape.count + 1)
        return shape.dropFirst(drop).map { rng.nextInt(below: 3) == 0 ? 1 : $0 }
    }

    mutating func normal(_ shape: [Int], std: Float = 1) -> Tensor {
        Tensor.randomNormal(shape, std: std, rng: &rng)
    }

    /// Values bounded away from zero (for ops with a kink or pole at 0).
    mutating func awayFromZero(_ shape: [Int], margin: Float = 0.1) -> Tensor {
        let base = Tensor.randomNormal(shape, rng: &rng).scalars.map { v -> Float in
            v >= 0 ? v + margin : v - margin
        }
        return Tensor(base, shape: shape)
    }

    mutating func positive(_ shape: [Int], low: Float = 0.3, high: Float = 2) -> Tensor {
        Tensor.randomUniform(shape, low: low, high: high, rng: &rng)
    }
}
