import FlowTensor

/// The scripted expert of `push`: first turns the block (pushing a long face near one end) until
/// its orientation error is small, then translates it along its own axes (pushing the centre of the
/// face opposite the motion, with a small contact offset that steers the orientation), walking
/// around the block between faces without touching it.
///
/// ```swift
/// let expert = PushExpert(env: env, seed: 1)
/// expert.act(env.buffers, into: &actions)
/// ```
public final class PushExpert: ControllerExpert {
    public init(env: PushEnv, noiseStd: Float = defaultExpertNoiseStd, seed: UInt64 = 0) {
        super.init(numEnvs: env.numEnvs, actionDim: 2, noiseStd: noiseStd, seed: seed,
                   controller: PushController(policy: PushPolicy(config: env.config), numEnvs: env.numEnvs))
    }
}

/// `PushPolicy` with each environment's pushing phase, started afresh with every episode.
final class PushController: ExpertController {
    let policy: PushPolicy
    let memory: UnsafeMutablePointer<PushPolicy.Memory>

    init(policy: PushPolicy, numEnvs: Int) {
        self.policy = policy
        memory = .allocate(capacity: numEnvs)
        memory.initialize(repeating: PushPolicy.Memory(), count: numEnvs)
    }

    deinit { memory.deallocate() }

    func act(_ i: Int, _ o: UnsafePointer<Float>, newEpisode: Bool, noise: ExpertNoise, out a: UnsafeMutablePointer<Float>) {
        if newEpisode { memory[i] = PushPolicy.Memory() }
        policy.act(o, memory: &memory[i], out: a)
    }
}

/// The pushing controller behind `PushExpert`, on the observation layout of `PushEnv`.
struct PushPolicy {
    struct Memory {
        var rotating = false
        /// Outward normal sign of the long face used while turning (0: not chosen yet).
        var rotateSide: Float = 0
        /// Block axis being translated along (−1: not chosen yet).
        var axis: Int = -1
    }

    let maxStep, rp, hx, hy, c2: Float
    /// Start turning above this orientation error, stop below `rotateExit` (radians).
    let rotateEnter: Float = 0.12
    let rotateExit: Float = 0.04
    /// A translation leg ends when the remaining offset along its axis is below this.
    let axisDone: Float = 0.012
    /// Stand-off of the pre-push point from the contact position.
    let standOff: Float = 0.02

    init(config: PushEnv.Config) {
        maxStep = config.maxStep
        rp = config.pusherRadius
        hx = config.blockHalfExtents.0
        hy = config.blockHalfExtents.1
        c2 = (hx * hx + hy * hy) / 3
    }

    @inline(__always)
    func act(_ o: UnsafePointer<Float>, memory m: inout Memory, out a: UnsafeMutablePointer<Float>) {
        let px = o[0], py = o[1], bx = o[2], by = o[3]
        let th = 0.5 * atan2F(o[5], o[4])
        let goalTh = 0.5 * atan2F(o[9], o[8])
        let e = wrapHalfTurn(goalTh - th)
        let c = cosF(th), s = sinF(th)
        let wx = o[6] - bx, wy = o[7] - by
        // Goal offset and pusher position in the block's frame.
        let dl = (c * wx + s * wy, -s * wx + c * wy)
        let q = (c * (px - bx) + s * (py - by), -s * (px - bx) + c * (py - by))

        if m.rotating {
            if abs(e) < rotateExit { m.rotating = false; m.axis = -1 }
        } else if abs(e) > rotateEnter {
            m.rotating = true
            m.rotateSide = 0
        }

        var axis: Int
        var side: Float
        var u: Float
        var depth: Float
        if m.rotating {
            // Push a long face near one end: F along −n at arm u gives Δθ/δ = (u/c²)/(1 + u²/c²).
            axis = 1
            if m.rotateSide == 0 { m.rotateSide = abs(dl.1) > 0.03 ? -signF(dl.1) : signF(q.1) }
            side = m.rotateSide
            u = -side * signF(e) * 0.7 * hx
            let gain = (abs(u) / c2) / (1 + u * u / c2)
            depth = min(maxStep, abs(e) / gain + 0.003)
        } else {
            if m.axis < 0 || abs(m.axis == 0 ? dl.0 : dl.1) < axisDone {
                m.axis = abs(dl.0) >= abs(dl.1) ? 0 : 1
            }
            axis = m.axis
            let along = axis == 0 ? dl.0 : dl.1
            side = -signF(along)
            // A small contact offset steers the orientation while translating (arm ≈ k·e).
            let halfT = axis == 0 ? hy : hx
            let correction = clampf(c2 / 0.1 * e, -0.5 * halfT, 0.5 * halfT)
            u = axis == 0 ? side * correction : -side * correction
            depth = min(maxStep, abs(along))
        }

        let hn = axis == 0 ? hx : hy
        let ht = axis == 0 ? hy : hx
        let qa = axis == 0 ? q.0 : q.1
        let qt = axis == 0 ? q.1 : q.0
        let qn = side * qa
        let contact = hn + rp
        var la: Float, lt: Float  // desired displacement along the face normal axis / the tangent axis
        var fullSpeed = false
        if qn >= contact - 0.015 && qn <= contact + 0.03 && abs(qt - u) < 0.03 && abs(qt) < ht + 0.005 {
            // In position: push `depth` into the face while sliding towards the contact offset.
            la = side * ((contact - depth) - qn)
            lt = clampf(u - qt, -0.02, 0.02)
        } else {
            // Walk to the pre-push point around the block (corners of an inflated rectangle).
            let ex = hx + rp + 0.012, ey = hy + rp + 0.012
            let cornerX = ex + 0.03, cornerY = ey + 0.03
            let rx: Float = q.0 > ex ? 1 : (q.0 < -ex ? -1 : 0)
            let ry: Float = q.1 > ey ? 1 : (q.1 < -ey ? -1 : 0)
            let ra = axis == 0 ? rx : ry
            let rt = axis == 0 ? ry : rx
            let wa = axis == 0 ? cornerX : cornerY
            let wt = axis == 0 ? cornerY : cornerX
            var ta: Float, tt: Float
            if ra == side {
                ta = side * (contact + standOff); tt = u
            } else if rx == 0 && ry == 0 {
                // Too close to another face: back away from it first.
                let ox = abs(q.0) - hx, oy = abs(q.1) - hy
                var nx: Float = 0, ny: Float = 0
                if ox > oy { nx = signF(q.0) } else { ny = signF(q.1) }
                let tx = q.0 + 0.05 * nx, ty = q.1 + 0.05 * ny
                ta = axis == 0 ? tx : ty
                tt = axis == 0 ? ty : tx
                fullSpeed = true
            } else if rt != 0 {
                ta = side * wa; tt = rt * wt; fullSpeed = true
            } else {
                let around: Float = abs(qt) > 0.01 ? signF(qt) : (u != 0 ? signF(u) : 1)
                ta = -side * wa; tt = around * wt; fullSpeed = true
            }
            la = ta - qa
            lt = tt - qt
        }
        let lx = axis == 0 ? la : lt
        let ly = axis == 0 ? lt : la
        writePlanarAction(a, dx: c * lx - s * ly, dy: s * lx + c * ly, maxStep: maxStep, fullSpeed: fullSpeed)
    }
}
