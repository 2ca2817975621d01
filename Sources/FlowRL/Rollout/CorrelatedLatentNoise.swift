import FlowNN

/// Lyu et al.'s multi-step latent exploration as FlowTune defines it (docs/algorithms.md §4.3): the
/// initial noise of successive decisions in an episode follows the AR(1) process
/// `x_0^{(n+1)} = ρ·x_0^{(n)} + sqrt(1 − ρ²)·z`, `z ~ N(0, I)`, so every `x_0` is still standard
/// normal (the policy sees the noise it was trained on) while consecutive chunks explore in a
/// consistent direction. An episode's first decision starts from fresh noise; `ρ = 0` is i.i.d.
///
/// ```swift
/// var latent = CorrelatedLatentNoise(rho: 0.5, environments: 64, width: h * d)
/// let x0 = latent.next(for: envs, rng: &rng)   // [envs.count, H·D]
/// latent.endEpisode(of: 3)
/// ```
public struct CorrelatedLatentNoise {
    public let rho: Float
    public let width: Int
    private var previous: [[Float]?]

    public init(rho: Float, environments: Int, width: Int) {
        precondition(rho >= 0 && rho < 1, "ρ must be in [0, 1)")
        self.rho = rho
        self.width = width
        previous = [[Float]?](repeating: nil, count: environments)
    }

    /// Initial noise for the listed environments' next decisions, `[envs.count, width]`. Draws one
    /// `[envs.count, width]` standard-normal block from `rng` — the same draw the sampler makes for
    /// i.i.d. noise, so with `ρ = 0` the samples are the sampler's own.
    public mutating func next(for envs: [Int], rng: inout RandomGenerator) -> Tensor {
        correlate(Tensor.randomNormal([envs.count, width], rng: &rng).scalars, envs: envs)
    }

    /// The same with one generator per listed environment (`rowGenerators[r]` for `envs[r]`): row r's
    /// fresh noise is `width` normals from its own generator — the per-row sampler's own draw, so a
    /// row's noise does not depend on which environments share its batch.
    public mutating func next(for envs: [Int], rowGenerators: inout [RandomGenerator]) -> Tensor {
        correlate(RandomGenerator.rowNormals(&rowGenerators, rows: Array(envs.indices), width: width, count: envs.count), envs: envs)
    }

    private mutating func correlate(_ z: [Float], envs: [Int]) -> Tensor {
        let keep = rho, fresh = (1 - rho * rho).squareRoot()
        var out = z
        for (r, e) in envs.enumerated() {
            if let prev = previous[e] {
                for j in 0..<width { out[r * width + j] = keep * prev[j] + fresh * z[r * width + j] }
            }
            previous[e] = Array(out[(r * width)..<((r + 1) * width)])
        }
        return Tensor(out, shape: [envs.count, width])
    }

    /// The environment's episode ended: its next decision starts from fresh noise.
    public mutating func endEpisode(of env: Int) { previous[env] = nil }
}
