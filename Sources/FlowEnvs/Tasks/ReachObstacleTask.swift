import FlowTensor

/// `reach-obstacle`: a point agent on a 2 × 2 table drives to a goal behind a wide box obstacle.
///
/// ```swift
/// let env = ReachObstacleEnv(numEnvs: 128)
/// try env.reset(seeds: (0..<128).map { UInt64($0) })
/// try env.step(actions: actions)    // [128 × 2] velocities in [-1, 1]
/// ```
///
/// The agent starts below the obstacle and the goal lies above it, so there are two equally good
/// routes, around the left end or around the right end; the scripted expert takes either with
/// probability 1/2, which makes demonstrations bimodal. A policy that averages the two modes drives
/// straight into the obstacle and stays there.
///
/// - Action (2): velocity `(vx, vy)` in [-1, 1]; the agent moves `maxStep · a` per step.
/// - Observation (8): `agent_x, agent_y, goal_x, goal_y, obstacle_x, obstacle_y,
///   obstacle_half_width, obstacle_half_height`.
/// - Physics: the agent is a point that slides along the obstacle's faces (swept per axis, so it can
///   never pass through at any speed) and is confined to the table [-1, 1]².
/// - Success (terminates): `‖agent − goal‖ < goalTolerance`. Time limit `maxEpisodeSteps` (60).
///   With `terminateOnCollision`, touching the obstacle ends the episode as a failure (a crash), which
///   makes mode-averaging policies fail outright instead of sliding around the obstacle.
/// - Reward: 1 on success, else 0; with `shapedReward` also the progress `d_before − d_after` of the
///   Euclidean distance to the goal (which points through the obstacle: a realistic trap).
/// - Randomised per seed: start, goal, obstacle centre and size.
///
/// Difficulty (preliminary, flow-matching SFT probe: chunk 5, 2000/3000 steps, 200 evaluation
/// episodes): 10 demonstrations → 33%, 41% for demonstration seeds 0, 1; 50 → 97.5%. With
/// `terminateOnCollision`: 10 → 20.5%, 50 → 89%; with crashes and a 0.55–0.65 half-width
/// obstacle (narrow corridors): 10 → 15%, 50 → 51%.
public final class ReachObstacleEnv: KernelEnv {
    /// Every knob of the task with its default.
    public struct Config: Sendable, Equatable {
        /// Add distance-progress shaping to the sparse success reward.
        public var shapedReward: Bool
        /// Time limit in steps.
        public var maxEpisodeSteps: Int
        /// Success radius around the goal.
        public var goalTolerance: Float
        /// Displacement per step at |action| = 1, per axis.
        public var maxStep: Float
        /// Touching the obstacle terminates the episode without success (default: the agent slides).
        public var terminateOnCollision: Bool
        /// Goal distribution.
        public var layout: Layout
        public var invalidActionPolicy: InvalidActionPolicy

        public init(shapedReward: Bool = false, maxEpisodeSteps: Int = 60, goalTolerance: Float = 0.05,
                    maxStep: Float = 0.05, terminateOnCollision: Bool = false, layout: Layout = .standard,
                    invalidActionPolicy: InvalidActionPolicy = .zeroAndCount) {
            self.shapedReward = shapedReward
            self.maxEpisodeSteps = maxEpisodeSteps
            self.goalTolerance = goalTolerance
            self.maxStep = maxStep
            self.terminateOnCollision = terminateOnCollision
            self.layout = layout
            self.invalidActionPolicy = invalidActionPolicy
        }
    }

    public let config: Config

    public init(numEnvs: Int, config: Config = Config()) {
        self.config = config
        super.init(ReachObstacleKernel.self, numEnvs: numEnvs, config: config)
    }
}

extension ReachObstacleEnv {
    /// Where the goal is drawn and how large the obstacle is (uniform ranges). The agent starts in
    /// [-0.15, 0.15] × [-0.85, -0.7] and the obstacle's centre is drawn in [-0.05, 0.05]². A wider
    /// obstacle leaves narrower corridors between its ends and the table's edges.
    public struct Layout: Sendable, Equatable {
        public var goalX: ClosedRange<Float>
        public var goalY: ClosedRange<Float>
        public var obstacleHalfWidth: ClosedRange<Float>
        public var obstacleHalfHeight: ClosedRange<Float>

        public init(goalX: ClosedRange<Float>, goalY: ClosedRange<Float>,
                    obstacleHalfWidth: ClosedRange<Float> = 0.3...0.4, obstacleHalfHeight: ClosedRange<Float> = 0.08...0.12) {
            self.goalX = goalX
            self.goalY = goalY
            self.obstacleHalfWidth = obstacleHalfWidth
            self.obstacleHalfHeight = obstacleHalfHeight
        }

        /// `reach-obstacle`: the goal hidden behind the obstacle's middle (two equal routes).
        public static let standard = Layout(goalX: -0.15...0.15, goalY: 0.7...0.85)
        /// Suite task `reach-top-left`.
        public static let topLeft = Layout(goalX: -0.8 ... -0.6, goalY: 0.6...0.8)
        /// Suite task `reach-top-right`.
        public static let topRight = Layout(goalX: 0.6...0.8, goalY: 0.6...0.8)
    }
}

final class ReachObstacleKernel: SingleTaskKernel {
    static let id = "reach-obstacle"
    static let instruction = "reach the goal behind the obstacle"
    static let observationDim = 8
    static let actionDim = 2
    static func observationSpace(_: ReachObstacleEnv.Config) -> BoxSpace {
        BoxSpace(
            names: ["agent_x", "agent_y", "goal_x", "goal_y", "obstacle_x", "obstacle_y",
                    "obstacle_half_width", "obstacle_half_height"],
            low: [-1, -1, -1, -1, -1, -1, 0, 0], high: [1, 1, 1, 1, 1, 1, 1, 1])
    }
    static let actionSpace = BoxSpace(names: ["vx", "vy"], low: [-1, -1], high: [1, 1])

    let assignment: KernelAssignment
    let count: Int
    let globalIndex: UnsafeMutablePointer<Int32>
    let variantIndex: UnsafeMutablePointer<Int32>
    let variants: [ReachObstacleEnv.Layout]
    let columns: FloatColumns
    let ax, ay, gx, gy, cx, cy, hw, hh: UnsafeMutablePointer<Float>
    let maxStep: Float
    let tolerance: Float
    let shaped: Bool
    let crashOnContact: Bool
    let limit: Int32

    init(assignment: KernelAssignment, variants: [ReachObstacleEnv.Layout], config: ReachObstacleEnv.Config) {
        self.assignment = assignment
        count = assignment.count
        globalIndex = assignment.globalIndex
        variantIndex = assignment.variantIndex
        self.variants = variants
        columns = FloatColumns(columns: 8, count: count)
        ax = columns.column(0); ay = columns.column(1)
        gx = columns.column(2); gy = columns.column(3)
        cx = columns.column(4); cy = columns.column(5)
        hw = columns.column(6); hh = columns.column(7)
        maxStep = config.maxStep
        tolerance = config.goalTolerance
        shaped = config.shapedReward
        crashOnContact = config.terminateOnCollision
        limit = Int32(config.maxEpisodeSteps)
    }

    func reset(_ j: Int, rng: inout RandomGenerator) {
        let v = variants[Int(variantIndex[j])]
        cx[j] = uniform(&rng, -0.05, 0.05)
        cy[j] = uniform(&rng, -0.05, 0.05)
        hw[j] = v.obstacleHalfWidth.sample(&rng)
        hh[j] = v.obstacleHalfHeight.sample(&rng)
        ax[j] = uniform(&rng, -0.15, 0.15)
        ay[j] = uniform(&rng, -0.85, -0.7)
        gx[j] = v.goalX.sample(&rng)
        gy[j] = v.goalY.sample(&rng)
    }

    @inline(__always)
    func step(_ j: Int, action a: UnsafePointer<Float>) -> KernelStep {
        var x = ax[j], y = ay[j]
        let tx = gx[j], ty = gy[j]
        let before = hypotF(tx - x, ty - y)
        let ocx = cx[j], ocy = cy[j], w = hw[j], h = hh[j]
        let hit = sweepPointPastBox(x: &x, y: &y, dx: a[0] * maxStep, dy: a[1] * maxStep,
                                    minX: ocx - w, maxX: ocx + w, minY: ocy - h, maxY: ocy + h)
        x = clampf(x, -1, 1)
        y = clampf(y, -1, 1)
        ax[j] = x
        ay[j] = y
        let after = hypotF(tx - x, ty - y)
        let crashed = crashOnContact && hit
        let success = !crashed && after < tolerance
        var reward: Float = success ? 1 : 0
        if shaped { reward += before - after }
        return KernelStep(reward: reward, success: success, failure: crashed)
    }

    @inline(__always)
    func observe(_ j: Int, into o: UnsafeMutablePointer<Float>) {
        o[0] = ax[j]; o[1] = ay[j]
        o[2] = gx[j]; o[3] = gy[j]
        o[4] = cx[j]; o[5] = cy[j]
        o[6] = hw[j]; o[7] = hh[j]
    }

    @inline(__always) func maxSteps(_ j: Int) -> Int32 { limit }
}

extension ReachObstacleEnv.Config: SingleTaskConfig {}
