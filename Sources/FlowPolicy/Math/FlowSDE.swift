import FlowNN

/// The Flow-SDE step of π_RL (docs/algorithms.md §3.2): the sampling ODE turned into an SDE with the
/// same marginals, so that one denoising step is a Gaussian with a known density.
///
/// ```swift
/// let (mean, std) = FlowSDE.moments(x: x, v: v, t: 1.0, dt: 0.2, sigma: FlowSDE.sigma(t: 1.0, noiseLevel: 0.5, steps: 5))
/// let next = mean + std * z
/// ```
public enum FlowSDE {
    /// `σ_t = a·sqrt(t/(1 − t))`; at `t = 1` the denominator uses `t_1 = 1 − 1/K`, giving `a·sqrt(K)`.
    public static func sigma(t: Float, noiseLevel: Float, steps: Int) -> Float {
        let denominator = t >= 1 ? 1 / Float(steps) : 1 - t
        return noiseLevel * (t / denominator).squareRoot()
    }

    /// Euler–Maruyama step from `t` to `t − dt` with score `−ε̂/t`:
    /// `mean = x·(1 − σ²dt/(2t)) − dt·v·(1 + σ²(1 − t)/(2t))`, `std = σ·sqrt(dt)`.
    /// With `σ = 0` this is exactly the ODE step `x − dt·v`.
    public static func moments(x: Tensor, v: Tensor, t: Float, dt: Float, sigma: Float) -> (mean: Tensor, std: Float) {
        if sigma == 0 { return (ODE.step(x: x, v: v, dt: dt), 0) }
        let s2 = sigma * sigma
        let xScale = 1 - s2 * dt / (2 * t)
        let vScale = dt * (1 + s2 * (1 - t) / (2 * t))
        return (x * xScale - v * vScale, sigma * dt.squareRoot())
    }

    /// Per-row moments for a batch whose rows sit at different times or noise (rows with `σ = 0`
    /// take the ODE step). `t`, `sigma` have one entry per row of `x` (`[N, d]`).
    public static func moments(x: Tensor, v: Tensor, t: [Float], dt: Float, sigma: [Float]) -> (mean: Tensor, std: Tensor) {
        let n = x.shape[0]
        precondition(t.count == n && sigma.count == n, "one time and one σ per row")
        var xScale = [Float](repeating: 1, count: n), vScale = [Float](repeating: dt, count: n)
        var std = [Float](repeating: 0, count: n)
        for i in 0..<n where sigma[i] != 0 {
            let s2 = sigma[i] * sigma[i]
            xScale[i] = 1 - s2 * dt / (2 * t[i])
            vScale[i] = dt * (1 + s2 * (1 - t[i]) / (2 * t[i]))
            std[i] = sigma[i] * dt.squareRoot()
        }
        let mean = x * Tensor(xScale, shape: [n, 1]) - v * Tensor(vScale, shape: [n, 1])
        return (mean, Tensor(std, shape: [n, 1]))
    }
}

/// The deterministic sampling step (docs/algorithms.md §3.1): `x_{k+1} = x_k − Δ·v`.
public enum ODE {
    public static func step(x: Tensor, v: Tensor, dt: Float) -> Tensor { x - v * dt }
}

/// The sampling grid `t_k = 1 − k/K`, `k = 0…K` (docs/algorithms.md §1).
public struct TimeGrid: Sendable, Equatable {
    public let steps: Int
    public init(steps: Int) {
        precondition(steps >= 1, "at least one denoising step")
        self.steps = steps
    }
    public var dt: Float { 1 / Float(steps) }
    public func t(_ k: Int) -> Float { 1 - Float(k) / Float(steps) }
}
