import FlowTensor

/// `pick-place`: a 2.5-D parallel gripper picks a cube off the table and places it on a target.
///
/// ```swift
/// let env = PickPlaceEnv(numEnvs: 128)
/// try env.reset(seeds: (0..<128).map { UInt64($0) })
/// try env.step(actions: actions)    // [128 × 4]: dx, dy, dz, grip (> 0 closes) in [-1, 1]
/// ```
///
/// Stages: approach above the cube, descend around it, close, lift, carry, lower, open. Each stage's
/// error carries into the next: the fingers only pass down around the cube when the gripper is
/// centred within `graspTolerance`; otherwise they land on top of it.
///
/// - Action (4): gripper displacement `(dx, dy, dz)` scaled by `maxStepXY`/`maxStepZ`, and `grip`:
///   > 0 closes the fingers, ≤ 0 opens them; the aperture moves by `closeRate` per step.
/// - Observation (10): `gripper_x, gripper_y, gripper_z, aperture (1 open, 0 closed), grasped (0/1),
///   cube_x, cube_y, cube_z (height of its base), target_x, target_y`.
/// - Grasp: while closing, when the aperture reaches the cube's width (`cubeAperture`) the cube is
///   grasped if it is resting, the gripper is centred on it within `graspTolerance` and the fingers
///   are low enough to enclose it (`gripper_z < cube_z + cubeHeight`); otherwise the fingers close
///   on nothing. A grasped cube keeps its offset to the gripper; nothing else moves it.
/// - Contact: while the fingers are below the cube's top they cannot move through the cube: from
///   outside they slide around a circle of radius `fingerClearance` (swept, no tunnelling); when
///   straddling an open gripper stays within `graspTolerance`. Descending onto the cube off-centre
///   (or with closed fingers) stops on its top.
/// - Release: opening releases the cube, which falls under gravity to the table.
/// - Success (terminates): the cube rests on the table, released, within `placeTolerance` of the
///   target. Time limit `maxEpisodeSteps` (80).
/// - Reward: 1 on success, else 0; with `shapedReward` also the progress of the potential
///   `−‖gripper − cube‖·(1 − grasped) − 2‖cube_xy − target‖ + 0.5·grasped`.
/// - Randomised per seed: cube and gripper start; the target is fixed by default
///   (`Layout.randomTarget` draws it too). See `Layout` for the ranges.
///
/// Difficulty (preliminary, flow-matching SFT probe: chunk 5, 2000/3000 steps, 200 evaluation
/// episodes): 10 demonstrations → 31%, 24%, 62% for demonstration seeds 0, 1, 2; 50 → 97%.
/// With `Layout.randomTarget` and grasp tolerance 0.02: 10 → 7%, 50 → 82%.
public final class PickPlaceEnv: KernelEnv {
    /// Every knob of the task with its default.
    public struct Config: Sendable, Equatable {
        public var shapedReward: Bool
        /// Time limit in steps.
        public var maxEpisodeSteps: Int
        /// Success: the resting cube's centre within this distance of the target.
        public var placeTolerance: Float
        /// The gripper must be centred on the cube within this distance for the fingers to enclose it.
        public var graspTolerance: Float
        /// Below the cube's top, an outside finger keeps at least this distance from the cube's axis.
        public var fingerClearance: Float
        /// Gripper displacement per step at |action| = 1 in x and y.
        public var maxStepXY: Float
        /// Gripper displacement per step at |action| = 1 in z.
        public var maxStepZ: Float
        /// Aperture change per step (1 = fully open, 0 = closed).
        public var closeRate: Float
        /// The aperture at which the fingers touch the cube.
        public var cubeAperture: Float
        public var cubeHeight: Float
        /// The gripper's highest position.
        public var maxHeight: Float
        /// Initial-state and target distribution, and the success condition.
        public var layout: Layout
        public var invalidActionPolicy: InvalidActionPolicy

        public init(shapedReward: Bool = false, maxEpisodeSteps: Int = 80, placeTolerance: Float = 0.04,
                    graspTolerance: Float = 0.025, fingerClearance: Float = 0.07, maxStepXY: Float = 0.05,
                    maxStepZ: Float = 0.04, closeRate: Float = 0.35, cubeAperture: Float = 0.5,
                    cubeHeight: Float = 0.04, maxHeight: Float = 0.25, layout: Layout = .standard,
                    invalidActionPolicy: InvalidActionPolicy = .zeroAndCount) {
            self.shapedReward = shapedReward
            self.maxEpisodeSteps = maxEpisodeSteps
            self.placeTolerance = placeTolerance
            self.graspTolerance = graspTolerance
            self.fingerClearance = fingerClearance
            self.maxStepXY = maxStepXY
            self.maxStepZ = maxStepZ
            self.closeRate = closeRate
            self.cubeAperture = cubeAperture
            self.cubeHeight = cubeHeight
            self.maxHeight = maxHeight
            self.layout = layout
            self.invalidActionPolicy = invalidActionPolicy
        }
    }

    public let config: Config

    public init(numEnvs: Int, config: Config = Config()) {
        self.config = config
        super.init(PickPlaceKernel.self, numEnvs: numEnvs, config: config)
    }
}

extension PickPlaceEnv {
    /// Where the cube starts and the target is drawn (uniform ranges; the target is redrawn until it
    /// lies at least 0.25 from the cube), and what counts as success. The gripper starts open at a
    /// uniform position in [-0.5, 0.5]² × [0.12, 0.2].
    ///
    /// ```swift
    /// var config = PickPlaceEnv.Config()
    /// config.layout = .init(cubeX: -0.3...0.3, cubeY: -0.3...0.3, targetX: 0.4...0.4, targetY: 0...0)
    /// ```
    public struct Layout: Sendable, Equatable {
        public enum Goal: Sendable, Equatable {
            /// Put the cube down within `placeTolerance` of the target.
            case place
            /// Hold the cube with its base at least `liftHeight` above the table (target = cube start).
            case lift
        }
        public var cubeX: ClosedRange<Float>
        public var cubeY: ClosedRange<Float>
        public var targetX: ClosedRange<Float>
        public var targetY: ClosedRange<Float>
        public var goal: Goal

        public init(cubeX: ClosedRange<Float>, cubeY: ClosedRange<Float>, targetX: ClosedRange<Float>,
                    targetY: ClosedRange<Float>, goal: Goal = .place) {
            self.cubeX = cubeX
            self.cubeY = cubeY
            self.targetX = targetX
            self.targetY = targetY
            self.goal = goal
        }

        /// The height of the cube's base that counts as lifted.
        public static let liftHeight: Float = 0.12

        /// `pick-place` (the default): the cube anywhere in the near half [-0.5, 0.5] × [-0.5, 0],
        /// one fixed target at (0, 0.4).
        public static let standard = Layout(cubeX: -0.5...0.5, cubeY: -0.5...0, targetX: 0...0, targetY: 0.4...0.4)
        /// A harder setting: cube and target anywhere in the central square.
        public static let randomTarget = Layout(cubeX: -0.5...0.5, cubeY: -0.5...0.5, targetX: -0.5...0.5, targetY: -0.5...0.5)
        /// Suite task `place-left`: the fixed target on the left.
        public static let left = Layout(cubeX: -0.1...0.4, cubeY: -0.4...0.4, targetX: -0.5 ... -0.5, targetY: 0...0)
        /// Suite task `place-right`: the fixed target on the right.
        public static let right = Layout(cubeX: -0.4...0.1, cubeY: -0.4...0.4, targetX: 0.5...0.5, targetY: 0...0)
        /// Suite task `lift`: the target is the cube's own position; success is holding it `liftHeight` up.
        public static let lift = Layout(cubeX: -0.5...0.5, cubeY: -0.5...0.5, targetX: 0...0, targetY: 0...0, goal: .lift)
    }
}

final class PickPlaceKernel: SingleTaskKernel {
    static let id = "pick-place"
    static let instruction = "pick up the cube and place it on the target"
    static let observationDim = 10
    static let actionDim = 4
    static func observationSpace(_ config: PickPlaceEnv.Config) -> BoxSpace {
        BoxSpace(names: ["gripper_x", "gripper_y", "gripper_z", "aperture", "grasped",
                         "cube_x", "cube_y", "cube_z", "target_x", "target_y"],
                 low: [-1, -1, 0, 0, 0, -1.1, -1.1, 0, -1, -1],
                 high: [1, 1, config.maxHeight, 1, 1, 1.1, 1.1, config.maxHeight, 1, 1])
    }
    static let actionSpace = BoxSpace(names: ["dx", "dy", "dz", "grip"], low: [-1, -1, -1, -1], high: [1, 1, 1, 1])
    static let minTargetDistance: Float = 0.25
    static let gravityStep: Float = 9.81 * 0.05 * 0.05  // g·dt², dt = 0.05 s per step

    let assignment: KernelAssignment
    let count: Int
    let globalIndex: UnsafeMutablePointer<Int32>
    let variantIndex: UnsafeMutablePointer<Int32>
    /// 1 for lift variants, 0 for place variants (read in the hot loop, so kept as a column).
    let liftGoal: UnsafeMutablePointer<Bool>
    let variants: [PickPlaceEnv.Layout]
    let columns: FloatColumns
    let gx, gy, gz, ap, held, ox, oy, oz, ovz, tx, ty, offx, offy, offz: UnsafeMutablePointer<Float>
    let config: PickPlaceEnv.Config
    let limit: Int32

    init(assignment: KernelAssignment, variants: [PickPlaceEnv.Layout], config: PickPlaceEnv.Config) {
        self.assignment = assignment
        count = assignment.count
        globalIndex = assignment.globalIndex
        variantIndex = assignment.variantIndex
        liftGoal = .allocate(capacity: max(count, 1))
        for j in 0..<count {
            (liftGoal + j).initialize(to: variants[Int(variantIndex[j])].goal == .lift)
        }
        self.variants = variants
        columns = FloatColumns(columns: 14, count: count)
        gx = columns.column(0); gy = columns.column(1); gz = columns.column(2)
        ap = columns.column(3); held = columns.column(4)
        ox = columns.column(5); oy = columns.column(6); oz = columns.column(7); ovz = columns.column(8)
        tx = columns.column(9); ty = columns.column(10)
        offx = columns.column(11); offy = columns.column(12); offz = columns.column(13)
        self.config = config
        limit = Int32(config.maxEpisodeSteps)
    }

    deinit {
        liftGoal.deallocate()
    }

    func reset(_ j: Int, rng: inout RandomGenerator) {
        let v = variants[Int(variantIndex[j])]
        let cxv = v.cubeX.sample(&rng), cyv = v.cubeY.sample(&rng)
        ox[j] = cxv; oy[j] = cyv; oz[j] = 0; ovz[j] = 0
        var txv = cxv, tyv = cyv
        if v.goal == .place {
            for _ in 0..<64 {
                txv = v.targetX.sample(&rng)
                tyv = v.targetY.sample(&rng)
                if hypotF(txv - cxv, tyv - cyv) >= Self.minTargetDistance { break }
            }
        }
        tx[j] = txv; ty[j] = tyv
        gx[j] = uniform(&rng, -0.5, 0.5)
        gy[j] = uniform(&rng, -0.5, 0.5)
        gz[j] = uniform(&rng, 0.12, 0.2)
        ap[j] = 1
        held[j] = 0
        offx[j] = 0; offy[j] = 0; offz[j] = 0
    }

    @inline(__always)
    func potential(_ j: Int) -> Float {
        let grasped = held[j]
        let reach = (gx[j] - ox[j]) * (gx[j] - ox[j]) + (gy[j] - oy[j]) * (gy[j] - oy[j]) + (gz[j] - oz[j]) * (gz[j] - oz[j])
        if liftGoal[j] { return -reach.squareRoot() * (1 - grasped) + grasped * (0.5 + 2 * oz[j]) }
        return -reach.squareRoot() * (1 - grasped) - 2 * hypotF(ox[j] - tx[j], oy[j] - ty[j]) + 0.5 * grasped
    }

    @inline(__always)
    func step(_ j: Int, action a: UnsafePointer<Float>) -> KernelStep {
        let c = config
        let before: Float = c.shapedReward ? potential(j) : 0
        var x = gx[j], y = gy[j], z = gz[j]
        var cx = ox[j], cy = oy[j], cz = oz[j]
        var aperture = ap[j]
        var grasped = held[j] != 0
        let dx = a[0] * c.maxStepXY, dy = a[1] * c.maxStepXY, dz = a[2] * c.maxStepZ
        if grasped {
            x = clampf(x + dx, -1, 1)
            y = clampf(y + dy, -1, 1)
            z = clampf(z + dz, max(0, -offz[j]), c.maxHeight)
        } else {
            let top = cz + c.cubeHeight
            if z < top {
                // Fingers below the cube's top: they cannot pass through it.
                let d = hypotF(x - cx, y - cy)
                if d < c.graspTolerance && aperture >= c.cubeAperture {
                    x += dx; y += dy
                    projectIntoDisk(x: &x, y: &y, cx: cx, cy: cy, radius: c.graspTolerance)
                } else {
                    sweepPointOutsideCircle(x: &x, y: &y, dx: dx, dy: dy, cx: cx, cy: cy, radius: c.fingerClearance)
                }
            } else {
                x += dx; y += dy
            }
            x = clampf(x, -1, 1)
            y = clampf(y, -1, 1)
            var nz = clampf(z + dz, 0, c.maxHeight)
            if nz < top && z >= top {
                // Coming down into the cube's layer: only an open, centred gripper passes around it.
                let d = hypotF(x - cx, y - cy)
                if d < c.fingerClearance && (d >= c.graspTolerance || aperture < c.cubeAperture) { nz = top }
            }
            z = nz
        }
        if a[3] > 0 {
            if !grasped {
                let next = aperture - c.closeRate
                if aperture > c.cubeAperture && next <= c.cubeAperture && cz == 0
                    && z < cz + c.cubeHeight && hypotF(x - cx, y - cy) < c.graspTolerance {
                    grasped = true
                    aperture = c.cubeAperture
                    offx[j] = cx - x; offy[j] = cy - y; offz[j] = cz - z
                } else {
                    aperture = max(next, 0)
                }
            }
        } else {
            aperture = min(aperture + c.closeRate, 1)
            if grasped && aperture > c.cubeAperture {
                grasped = false
                ovz[j] = 0
            }
        }
        if grasped {
            cx = x + offx[j]; cy = y + offy[j]; cz = max(z + offz[j], 0)
        } else if cz > 0 {
            var v = ovz[j] - Self.gravityStep
            cz += v
            if cz <= 0 { cz = 0; v = 0 }
            ovz[j] = v
        }
        gx[j] = x; gy[j] = y; gz[j] = z
        ox[j] = cx; oy[j] = cy; oz[j] = cz
        ap[j] = aperture
        held[j] = grasped ? 1 : 0
        let success: Bool
        if liftGoal[j] {
            success = grasped && cz >= PickPlaceEnv.Layout.liftHeight
        } else {
            success = !grasped && cz == 0 && hypotF(cx - tx[j], cy - ty[j]) < c.placeTolerance
        }
        var reward: Float = success ? 1 : 0
        if c.shapedReward { reward += potential(j) - before }
        return KernelStep(reward: reward, success: success, failure: false)
    }

    @inline(__always)
    func observe(_ j: Int, into o: UnsafeMutablePointer<Float>) {
        o[0] = gx[j]; o[1] = gy[j]; o[2] = gz[j]
        o[3] = ap[j]; o[4] = held[j]
        o[5] = ox[j]; o[6] = oy[j]; o[7] = oz[j]
        o[8] = tx[j]; o[9] = ty[j]
    }

    @inline(__always) func maxSteps(_ j: Int) -> Int32 { limit }
}

extension PickPlaceEnv.Config: SingleTaskConfig {}
