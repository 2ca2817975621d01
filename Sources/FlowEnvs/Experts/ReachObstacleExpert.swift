import FlowTensor

/// The scripted expert of `reach-obstacle`: picks the left or the right route with probability 1/2
/// at the start of each episode (unless the goal lies beyond one end of the obstacle, then that
/// side), and follows corner waypoints around the obstacle to the goal.
///
/// ```swift
/// let expert = ReachObstacleExpert(env: env, noiseStd: 0.1, seed: 1)
/// expert.act(env.buffers, into: &actions)
/// ```
public final class ReachObstacleExpert: ControllerExpert {
    public init(env: ReachObstacleEnv, noiseStd: Float = defaultExpertNoiseStd, seed: UInt64 = 0) {
        super.init(numEnvs: env.numEnvs, actionDim: 2, noiseStd: noiseStd, seed: seed,
                   controller: ReachController(policy: ReachPolicy(maxStep: env.config.maxStep), numEnvs: env.numEnvs))
    }
}

/// `ReachPolicy` with each environment's route: chosen by a coin at the start of an episode.
final class ReachController: ExpertController {
    let policy: ReachPolicy
    /// −1 for the left route, +1 for the right route.
    let side: UnsafeMutablePointer<Float>

    init(policy: ReachPolicy, numEnvs: Int) {
        self.policy = policy
        side = .allocate(capacity: numEnvs)
        side.initialize(repeating: 1, count: numEnvs)
    }

    deinit { side.deallocate() }

    func act(_ i: Int, _ o: UnsafePointer<Float>, newEpisode: Bool, noise: ExpertNoise, out a: UnsafeMutablePointer<Float>) {
        if newEpisode { side[i] = policy.chooseSide(o, coin: noise.coin(i)) }
        policy.act(o, side: &side[i], out: a)
    }
}

/// The waypoint controller behind `ReachObstacleExpert`, on the observation layout of
/// `ReachObstacleEnv` (agent, goal, obstacle centre, obstacle half extents).
struct ReachPolicy {
    let maxStep: Float
    /// Clearance kept from the obstacle's faces.
    let margin: Float = 0.06

    @inline(__always)
    func chooseSide(_ o: UnsafePointer<Float>, coin: Bool) -> Float {
        let goalX = o[2], cx = o[4], hw = o[6]
        if abs(goalX - cx) > hw { return signF(goalX - cx) }
        return coin ? 1 : -1
    }

    @inline(__always)
    func act(_ o: UnsafePointer<Float>, side: inout Float, out a: UnsafeMutablePointer<Float>) {
        let x = o[0], y = o[1], gx = o[2], gy = o[3], cx = o[4], cy = o[5], hw = o[6], hh = o[7]
        let m = margin
        // Beside the obstacle on the other side (only after large noise): take that side instead.
        if y > cy - hh && y < cy + hh && side * (x - cx) < -hw { side = -side }
        let cornerX = cx + side * (hw + m)
        var tx: Float, ty: Float, waypoint = true
        if y >= cy + hh + 0.5 * m {
            tx = gx; ty = gy; waypoint = false
        } else if side * (x - cx) >= hw + 0.5 * m {
            tx = cornerX; ty = cy + hh + m
        } else if y <= cy - hh - 0.5 * m {
            tx = cornerX; ty = cy - hh - m
        } else {
            tx = cornerX; ty = y
        }
        writePlanarAction(a, dx: tx - x, dy: ty - y, maxStep: maxStep, fullSpeed: waypoint)
    }
}
