import FlowTensor

/// The scripted expert of `pick-place`: hovers over the cube, centres, descends around it, closes,
/// lifts, carries the cube (not the gripper) over the target, lowers it to the table and opens.
/// A missed grasp or a landing on the cube's top is recovered by opening and rising.
///
/// ```swift
/// let expert = PickPlaceExpert(env: env, seed: 1)
/// expert.act(env.buffers, into: &actions)
/// ```
public final class PickPlaceExpert: ControllerExpert {
    public init(env: PickPlaceEnv, noiseStd: Float = defaultExpertNoiseStd, seed: UInt64 = 0) {
        super.init(numEnvs: env.numEnvs, actionDim: 4, noiseStd: noiseStd, seed: seed,
                   controller: PickPlaceController(policy: PickPlacePolicy(config: env.config), lift: false))
    }
}

/// `PickPlacePolicy` aiming to place the cube, or (`lift`) to hold it up; it keeps no memory.
final class PickPlaceController: ExpertController {
    let policy: PickPlacePolicy
    let lift: Bool

    init(policy: PickPlacePolicy, lift: Bool) {
        self.policy = policy
        self.lift = lift
    }

    func act(_ i: Int, _ o: UnsafePointer<Float>, newEpisode: Bool, noise: ExpertNoise, out a: UnsafeMutablePointer<Float>) {
        policy.act(o, lift: lift, out: a)
    }
}

/// The grasping controller behind `PickPlaceExpert`, on the observation layout of `PickPlaceEnv`.
struct PickPlacePolicy {
    /// The task's step sizes and cube dimensions.
    let config: PickPlaceEnv.Config
    /// Gripper height while travelling to the cube.
    let hoverHeight: Float = 0.1
    /// Height of the cube's base while carrying it.
    let carryHeight: Float = 0.1
    /// Height of the gripper the lift task aims for.
    let liftTarget: Float = 0.2

    @inline(__always)
    func act(_ o: UnsafePointer<Float>, lift: Bool, out a: UnsafeMutablePointer<Float>) {
        let x = o[0], y = o[1], z = o[2], aperture = o[3], grasped = o[4] > 0.5
        let cx = o[5], cy = o[6], cz = o[7], tx = o[8], ty = o[9]
        var dx: Float = 0, dy: Float = 0, targetZ = z, grip: Float = -1
        if grasped {
            grip = 1
            if lift {
                targetZ = liftTarget
            } else {
                let ex = tx - cx, ey = ty - cy
                // Hysteresis: once lowering, keep lowering unless the cube drifts well off target.
                let lowering = cz < carryHeight - 0.01
                if hypotF(ex, ey) > (lowering ? 0.02 : 0.008) {
                    targetZ = z - cz + carryHeight
                    if cz > 0.5 * carryHeight { dx = ex; dy = ey }
                } else {
                    dx = ex; dy = ey
                    targetZ = z - cz
                    if cz < 0.003 { grip = -1 }
                }
            }
        } else if aperture < config.cubeAperture - 0.05 {
            // Closed on nothing: open and back off upwards.
            targetZ = cz + config.cubeHeight + 0.03
        } else {
            let d = hypotF(cx - x, cy - y)
            let low = z < cz + config.cubeHeight
            if d < (z < cz + config.cubeHeight + 0.03 ? 0.012 : 0.008) {
                dx = cx - x; dy = cy - y
                targetZ = cz + 0.005
                grip = z < cz + 0.02 ? 1 : -1
            } else if low {
                targetZ = cz + config.cubeHeight + 0.03
            } else {
                dx = cx - x; dy = cy - y
                targetZ = d > 0.06 ? hoverHeight : cz + config.cubeHeight + 0.01
            }
        }
        writePlanarAction(a, dx: dx, dy: dy, maxStep: config.maxStepXY)
        a[2] = clampf((targetZ - z) / config.maxStepZ, -1, 1)
        a[3] = grip
    }
}
