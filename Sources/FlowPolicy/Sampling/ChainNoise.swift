import FlowNN

/// Where a sampled chain's random numbers come from: the initial noise `x_0`, the stochastic step
/// of each row (Flow-SDE's one-step schedule) and the step noise `z` of every stochastic transition.
///
/// - `shared`: one generator for the whole batch, drawn in batch order (initial noise of every row,
///   then the rows' stochastic steps, then each step's noise for every row). A row's numbers depend
///   on its position in the batch and on the batch's size.
/// - `perRow`: one generator per row; a row draws its initial noise, its stochastic step and the noise
///   of its own stochastic transitions, in that order, from its generator alone, and nothing for a
///   transition that is deterministic for it. So a row's sample is the same bits whichever rows share
///   its batch — what lets the rollout sample environment groups separately while the other groups
///   simulate (docs/architecture.md, "The rollout pipeline").
enum ChainNoise {
    case shared(RandomGenerator)
    case perRow([RandomGenerator])

    /// Initial noise `[b, width]`.
    mutating func initial(rows b: Int, width: Int) -> Tensor {
        switch self {
        case .shared(var rng):
            let x = Tensor.randomNormal([b, width], rng: &rng)
            self = .shared(rng)
            return x
        case .perRow(var rngs):
            let x = Tensor(RandomGenerator.rowNormals(&rngs, rows: Array(0..<b), width: width, count: b), shape: [b, width])
            self = .perRow(rngs)
            return x
        }
    }

    /// The stochastic step of each of `b` rows, uniform in `0..<bound`.
    mutating func steps(rows b: Int, below bound: Int) -> [Int] {
        switch self {
        case .shared(var rng):
            let s = (0..<b).map { _ in rng.nextInt(below: bound) }
            self = .shared(rng)
            return s
        case .perRow(var rngs):
            let s = (0..<b).map { rngs[$0].nextInt(below: bound) }
            self = .perRow(rngs)
            return s
        }
    }

    /// Step noise `[b, width]` for a transition whose stochastic rows are `flags`. Shared: every row
    /// draws (as the sampler always has). Per row: only the stochastic rows draw; the others get 0,
    /// which their zero standard deviation ignores.
    mutating func step(flags: [Bool], width: Int) -> Tensor {
        switch self {
        case .shared(var rng):
            let z = Tensor.randomNormal([flags.count, width], rng: &rng)
            self = .shared(rng)
            return z
        case .perRow(var rngs):
            let rows = flags.indices.filter { flags[$0] }
            let z = Tensor(RandomGenerator.rowNormals(&rngs, rows: rows, width: width, count: flags.count), shape: [flags.count, width])
            self = .perRow(rngs)
            return z
        }
    }

    var rowGenerators: [RandomGenerator]? {
        if case .perRow(let rngs) = self { return rngs }
        return nil
    }

    var sharedGenerator: RandomGenerator? {
        if case .shared(let rng) = self { return rng }
        return nil
    }
}
