import FlowEnvs
import FlowTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything an environment wrote in one step, copied out of its buffers.
struct StepRecord: Equatable {
    var observations: [UInt32]
    var finalObservations: [UInt32]  // only rows of finished environments, others zeroed
    var rewards: [UInt32]
    var terminated: [Bool]
    var truncated: [Bool]
    var success: [Bool]
    var episodeSteps: [Int32]
    var episodeSeeds: [UInt64]

    /// Bit patterns, so that equality means bit-identical (and NaN would not compare equal to itself).
    init(_ b: VectorEnvBuffers, rows: [Int]? = nil) {
        let rows = rows ?? Array(0..<b.numEnvs)
        let d = b.observationDim
        observations = rows.flatMap { i in (0..<d).map { b.observations[i * d + $0].bitPattern } }
        finalObservations = rows.flatMap { i in
            (0..<d).map { b.isDone(i) ? b.finalObservations[i * d + $0].bitPattern : 0 }
        }
        rewards = rows.map { b.rewards[$0].bitPattern }
        terminated = rows.map { b.terminated[$0] }
        truncated = rows.map { b.truncated[$0] }
        success = rows.map { b.success[$0] }
        episodeSteps = rows.map { b.episodeSteps[$0] }
        episodeSeeds = rows.map { b.episodeSeeds[$0] }
    }
}

/// Uniform random actions in [lo, hi], reproducible from `seed`.
func randomActions(count: Int, rng: inout RandomGenerator, lo: Float = -1, hi: Float = 1) -> [Float] {
    (0..<count).map { _ in rng.nextUniform(lo, hi) }
}

/// Seeds 0..<n shifted by `offset`.
func seeds(_ n: Int, offset: UInt64 = 0) -> [UInt64] { (0..<n).map { UInt64($0) &+ offset } }

/// Runs the environment's first episode in every environment with the scripted expert and returns
/// for each environment whether that episode succeeded, and its length.
func firstEpisodes(_ env: any VectorEnv, expert: any ScriptedExpert, seeds s: [UInt64])
    throws -> (success: [Bool], length: [Int]) {
    try env.reset(seeds: s)
    var actions = [Float](repeating: 0, count: env.numEnvs * env.spec.actionDim)
    var done = [Bool](repeating: false, count: env.numEnvs)
    var success = done
    var length = [Int](repeating: 0, count: env.numEnvs)
    for t in 1...env.spec.maxEpisodeSteps {
        expert.act(env.buffers, into: &actions)
        try env.step(actions: actions)
        for i in 0..<env.numEnvs where !done[i] && env.buffers.isDone(i) {
            done[i] = true
            success[i] = env.buffers.success[i]
            length[i] = t
        }
        if !done.contains(false) { break }
    }
    return (success, length)
}

/// The signed distance from a point to the push task's block, from a push observation row.
func blockSignedDistance(x: Float, y: Float, obs o: UnsafeBufferPointer<Float>, halfExtents: (Float, Float)) -> Float {
    let theta = 0.5 * atan2f(o[5], o[4])
    let c = cosf(theta), s = sinf(theta)
    let dx = x - o[2], dy = y - o[3]
    let qx = abs(c * dx + s * dy) - halfExtents.0
    let qy = abs(-s * dx + c * dy) - halfExtents.1
    let ox = max(qx, 0), oy = max(qy, 0)
    return (ox * ox + oy * oy).squareRoot() + min(max(qx, qy), 0)
}
