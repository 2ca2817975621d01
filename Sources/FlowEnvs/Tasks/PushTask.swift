import FlowTensor

/// `push`: a disk pusher moves a rectangular block by contact to a goal position *and* orientation.
///
/// ```swift
/// let env = PushEnv(numEnvs: 128)
/// try env.reset(seeds: (0..<128).map { UInt64($0) })
/// try env.step(actions: actions)    // [128 × 2] pusher velocities in [-1, 1]
/// ```
///
/// The block moves only while the pusher touches it, quasi-statically (it stops when contact stops),
/// with frictionless pusher contact and an ellipsoidal floor-friction limit surface
/// (`resolveDiskRectangleContact`): pushing a face at its centre translates the block, pushing off
/// centre also turns it. Reaching a pose therefore needs the right face, the right contact offset,
/// and walking around the block between pushes without bumping it: precision at contact and stages
/// that compound errors, like Push-T.
///
/// - Action (2): pusher velocity `(vx, vy)` in [-1, 1]; the pusher moves `maxStep · a` per step in
///   `substeps` equal parts, each followed by contact resolution. The pusher is confined to the
///   table [-1, 1]².
/// - Observation (10): `pusher_x, pusher_y, block_x, block_y, cos 2θ, sin 2θ, goal_x, goal_y,
///   cos 2θ_goal, sin 2θ_goal`. The block is symmetric under a half turn, so its orientation is
///   observed (and compared) modulo π, through the continuous pair (cos 2θ, sin 2θ).
/// - Success (terminates): `‖block − goal‖ < positionTolerance` and the orientation error modulo π
///   below `angleTolerance`. Failure (terminates): the block's centre leaves the table.
///   Time limit `maxEpisodeSteps` (120).
/// - Reward: 1 on success, else 0; with `shapedReward` also the progress of the position error plus
///   0.1 × the progress of the orientation error (radians).
/// - Randomised per seed: block pose and pusher position; by default the goal pose is fixed (as in
///   Push-T), `Layout.randomGoal` randomises it too. See `Layout` for the ranges.
///
/// Difficulty (preliminary, flow-matching SFT probe: chunk 5, 2000/3000 steps, 200 evaluation
/// episodes): 10 demonstrations → 36%, 24%, 12% for demonstration seeds 0, 1, 2; 50 → 62%.
/// With `Layout.randomGoal`: 10 → 2%, 50 → 9% (too hard for few-shot imitation).
public final class PushEnv: KernelEnv {
    /// Every knob of the task with its default.
    public struct Config: Sendable, Equatable {
        public var shapedReward: Bool
        /// Time limit in steps.
        public var maxEpisodeSteps: Int
        /// Success: block centre within this distance of the goal centre.
        public var positionTolerance: Float
        /// Success: orientation error (modulo π) below this many radians.
        public var angleTolerance: Float
        /// Pusher displacement per step at |action| = 1, per axis.
        public var maxStep: Float
        /// Contact-resolution substeps per step (the pusher moves maxStep / substeps between them).
        public var substeps: Int
        public var pusherRadius: Float
        /// Half length and half width of the block.
        public var blockHalfExtents: (Float, Float)
        /// Initial-state and goal distribution.
        public var layout: Layout
        public var invalidActionPolicy: InvalidActionPolicy

        public init(shapedReward: Bool = false, maxEpisodeSteps: Int = 120, positionTolerance: Float = 0.05,
                    angleTolerance: Float = 0.25, maxStep: Float = 0.05, substeps: Int = 4,
                    pusherRadius: Float = 0.04, blockHalfExtents: (Float, Float) = (0.12, 0.06),
                    layout: Layout = .standard, invalidActionPolicy: InvalidActionPolicy = .zeroAndCount) {
            precondition(substeps >= 1, "substeps must be at least 1")
            self.shapedReward = shapedReward
            self.maxEpisodeSteps = maxEpisodeSteps
            self.positionTolerance = positionTolerance
            self.angleTolerance = angleTolerance
            self.maxStep = maxStep
            self.substeps = substeps
            self.pusherRadius = pusherRadius
            self.blockHalfExtents = blockHalfExtents
            self.layout = layout
            self.invalidActionPolicy = invalidActionPolicy
        }

        public static func == (a: Config, b: Config) -> Bool {
            a.shapedReward == b.shapedReward && a.maxEpisodeSteps == b.maxEpisodeSteps
                && a.positionTolerance == b.positionTolerance && a.angleTolerance == b.angleTolerance
                && a.maxStep == b.maxStep && a.substeps == b.substeps && a.pusherRadius == b.pusherRadius
                && a.blockHalfExtents == b.blockHalfExtents && a.layout == b.layout
                && a.invalidActionPolicy == b.invalidActionPolicy
        }
    }

    public let config: Config

    public init(numEnvs: Int, config: Config = Config()) {
        self.config = config
        super.init(PushKernel.self, numEnvs: numEnvs, config: config)
    }
}

extension PushEnv {
    /// Where episodes start and where goals are drawn: uniform ranges per coordinate (angles in
    /// radians, the block's long axis along x at 0). The goal is redrawn until it lies at least
    /// 0.15 from the block; the pusher starts uniformly in [-0.8, 0.8]², at least 0.3 from the block.
    ///
    /// ```swift
    /// var config = PushEnv.Config()
    /// config.layout = .init(blockX: -0.2...0.2, blockY: -0.3...0, blockAngle: -0.5...0.5,
    ///                       goalX: 0...0, goalY: 0.3...0.3, goalAngle: 0...0)   // fixed goal
    /// ```
    public struct Layout: Sendable, Equatable {
        public var blockX: ClosedRange<Float>
        public var blockY: ClosedRange<Float>
        public var blockAngle: ClosedRange<Float>
        public var goalX: ClosedRange<Float>
        public var goalY: ClosedRange<Float>
        public var goalAngle: ClosedRange<Float>
        /// The goal position is the block's initial position (a turn-in-place task).
        public var goalAtStart: Bool

        public init(blockX: ClosedRange<Float>, blockY: ClosedRange<Float>, blockAngle: ClosedRange<Float>,
                    goalX: ClosedRange<Float>, goalY: ClosedRange<Float>, goalAngle: ClosedRange<Float>,
                    goalAtStart: Bool = false) {
            self.blockX = blockX
            self.blockY = blockY
            self.blockAngle = blockAngle
            self.goalX = goalX
            self.goalY = goalY
            self.goalAngle = goalAngle
            self.goalAtStart = goalAtStart
        }

        /// `push` (the default): like Push-T, one fixed goal pose (centre (0, 0.3), long axis along
        /// x); the block starts anywhere in [-0.3, 0.3] × [-0.35, 0] turned up to ±45°.
        public static let standard = Layout(
            blockX: -0.3...0.3, blockY: -0.35...0, blockAngle: (-piF / 4)...(piF / 4),
            goalX: 0...0, goalY: 0.3...0.3, goalAngle: 0...0)
        /// A much harder setting: block and goal poses anywhere in the central square, any
        /// orientations (a goal-conditioned policy must generalise over goals as well).
        public static let randomGoal = Layout(
            blockX: -0.35...0.35, blockY: -0.35...0.35, blockAngle: (-piF / 2)...(piF / 2),
            goalX: -0.45...0.45, goalY: -0.45...0.45, goalAngle: (-piF / 2)...(piF / 2))
        /// Suite task `push-left`: the fixed target on the left.
        public static let left = Layout(
            blockX: -0.05...0.3, blockY: -0.3...0.3, blockAngle: (-piF / 4)...(piF / 4),
            goalX: -0.45 ... -0.45, goalY: 0...0, goalAngle: 0...0)
        /// Suite task `push-right`: the fixed target on the right.
        public static let right = Layout(
            blockX: -0.3...0.05, blockY: -0.3...0.3, blockAngle: (-piF / 4)...(piF / 4),
            goalX: 0.45...0.45, goalY: 0...0, goalAngle: 0...0)
        /// Suite task `push-forward`: the fixed target ahead.
        public static let forward = Layout(
            blockX: -0.3...0.3, blockY: -0.35 ... -0.05, blockAngle: (-piF / 4)...(piF / 4),
            goalX: 0...0, goalY: 0.4...0.4, goalAngle: 0...0)
        /// Suite task `turn-upright`: keep the position, turn the long axis to y.
        public static let turnUpright = Layout(
            blockX: -0.3...0.3, blockY: -0.3...0.3, blockAngle: (-piF / 4)...(piF / 4),
            goalX: 0...0, goalY: 0...0, goalAngle: (piF / 2)...(piF / 2), goalAtStart: true)
    }
}

final class PushKernel: SingleTaskKernel {
    static let id = "push"
    static let instruction = "push the block onto the target pose"
    static let observationDim = 10
    static let actionDim = 2
    static func observationSpace(_: PushEnv.Config) -> BoxSpace {
        BoxSpace(
            names: ["pusher_x", "pusher_y", "block_x", "block_y", "block_cos2theta", "block_sin2theta",
                    "goal_x", "goal_y", "goal_cos2theta", "goal_sin2theta"],
            // The block can be pushed up to pusher radius + half length past the table edge before the
            // episode ends, so its bounds are wider than the table's.
            low: [-1, -1, -1.25, -1.25, -1, -1, -1, -1, -1, -1], high: [1, 1, 1.25, 1.25, 1, 1, 1, 1, 1, 1])
    }
    static let actionSpace = BoxSpace(names: ["vx", "vy"], low: [-1, -1], high: [1, 1])
    static let minGoalDistance: Float = 0.15
    static let minPusherDistance: Float = 0.3

    let assignment: KernelAssignment
    let count: Int
    let globalIndex: UnsafeMutablePointer<Int32>
    let variantIndex: UnsafeMutablePointer<Int32>
    let variants: [PushEnv.Layout]
    let columns: FloatColumns
    let px, py, bx, by, th, gx, gy, gth, gc2, gs2: UnsafeMutablePointer<Float>
    let maxStep, positionTolerance, angleTolerance, rp, hx, hy, c2, broadphase: Float
    let substeps: Int
    let shaped: Bool
    let limit: Int32

    init(assignment: KernelAssignment, variants: [PushEnv.Layout], config: PushEnv.Config) {
        self.assignment = assignment
        count = assignment.count
        globalIndex = assignment.globalIndex
        variantIndex = assignment.variantIndex
        self.variants = variants
        columns = FloatColumns(columns: 10, count: count)
        px = columns.column(0); py = columns.column(1)
        bx = columns.column(2); by = columns.column(3); th = columns.column(4)
        gx = columns.column(5); gy = columns.column(6); gth = columns.column(7)
        gc2 = columns.column(8); gs2 = columns.column(9)
        maxStep = config.maxStep
        positionTolerance = config.positionTolerance
        angleTolerance = config.angleTolerance
        rp = config.pusherRadius
        hx = config.blockHalfExtents.0
        hy = config.blockHalfExtents.1
        c2 = (hx * hx + hy * hy) / 3
        broadphase = (hx * hx + hy * hy).squareRoot() + config.pusherRadius + 0.01
        substeps = config.substeps
        shaped = config.shapedReward
        limit = Int32(config.maxEpisodeSteps)
    }

    func reset(_ j: Int, rng: inout RandomGenerator) {
        let v = variants[Int(variantIndex[j])]
        let x = v.blockX.sample(&rng), y = v.blockY.sample(&rng)
        bx[j] = x
        by[j] = y
        th[j] = v.blockAngle.sample(&rng)
        var tx = x, ty = y
        if !v.goalAtStart {
            for _ in 0..<64 {
                tx = v.goalX.sample(&rng)
                ty = v.goalY.sample(&rng)
                if hypotF(tx - x, ty - y) >= Self.minGoalDistance { break }
            }
        }
        gx[j] = tx
        gy[j] = ty
        let ga = v.goalAngle.sample(&rng)
        gth[j] = ga
        gc2[j] = cosF(2 * ga)
        gs2[j] = sinF(2 * ga)
        var qx: Float = 0.8, qy: Float = 0.8
        for _ in 0..<64 {
            qx = uniform(&rng, -0.8, 0.8)
            qy = uniform(&rng, -0.8, 0.8)
            if hypotF(qx - x, qy - y) >= Self.minPusherDistance { break }
        }
        px[j] = qx
        py[j] = qy
    }

    @inline(__always)
    func step(_ j: Int, action a: UnsafePointer<Float>) -> KernelStep {
        var x = px[j], y = py[j]
        var bX = bx[j], bY = by[j], t = th[j]
        let tx = gx[j], ty = gy[j], tt = gth[j]
        let distBefore = hypotF(tx - bX, ty - bY)
        let angleBefore = abs(wrapHalfTurn(t - tt))
        let n = substeps
        let sdx = a[0] * maxStep / Float(n), sdy = a[1] * maxStep / Float(n)
        var ct: Float = 0, st: Float = 0
        var haveTrig = false
        for _ in 0..<n {
            x = clampf(x + sdx, -1, 1)
            y = clampf(y + sdy, -1, 1)
            if abs(x - bX) < broadphase && abs(y - bY) < broadphase {
                if !haveTrig { ct = cosF(t); st = sinF(t); haveTrig = true }
                // A second pass removes the second-order overlap left by the body's turn.
                if resolveDiskRectangleContact(px: x, py: y, rp: rp, bx: &bX, by: &bY, th: &t, cth: &ct, sth: &st,
                                               hx: hx, hy: hy, c2: c2) {
                    _ = resolveDiskRectangleContact(px: x, py: y, rp: rp, bx: &bX, by: &bY, th: &t, cth: &ct, sth: &st,
                                                    hx: hx, hy: hy, c2: c2)
                }
            }
        }
        px[j] = x; py[j] = y
        bx[j] = bX; by[j] = bY; th[j] = t
        let fell = abs(bX) > 1 || abs(bY) > 1
        let dist = hypotF(tx - bX, ty - bY)
        let angle = abs(wrapHalfTurn(t - tt))
        let success = !fell && dist < positionTolerance && angle < angleTolerance
        var reward: Float = success ? 1 : 0
        if shaped { reward += (distBefore - dist) + 0.1 * (angleBefore - angle) }
        return KernelStep(reward: reward, success: success, failure: fell)
    }

    @inline(__always)
    func observe(_ j: Int, into o: UnsafeMutablePointer<Float>) {
        let t2 = 2 * th[j]
        o[0] = px[j]; o[1] = py[j]
        o[2] = bx[j]; o[3] = by[j]
        o[4] = cosF(t2); o[5] = sinF(t2)
        o[6] = gx[j]; o[7] = gy[j]
        o[8] = gc2[j]; o[9] = gs2[j]
    }

    @inline(__always) func maxSteps(_ j: Int) -> Int32 { limit }
}

extension PushEnv.Config: SingleTaskConfig {}
