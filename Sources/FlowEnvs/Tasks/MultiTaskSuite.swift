import FlowTensor

/// `multitask`: ten variants of the reach, push and pick-place tasks in one `VectorEnv`, each with a
/// task index and an instruction, evaluated per task and on average like MetaWorld MT10.
///
/// ```swift
/// let env = MultiTaskEnv(numEnvs: 40)                 // env i runs task i % 10
/// try env.reset(seeds: (0..<40).map { UInt64($0) })
/// env.instruction(forEnv: 3)                         // "push the block to the left target"
/// ```
///
/// | index | name | instruction | family, limit |
/// |---|---|---|---|
/// | 0 | reach-obstacle | reach the goal behind the obstacle | reach, 60 |
/// | 1 | reach-top-left | reach the goal at the top left | reach, 60 |
/// | 2 | reach-top-right | reach the goal at the top right | reach, 60 |
/// | 3 | push-left | push the block to the left target | push, 120 |
/// | 4 | push-right | push the block to the right target | push, 120 |
/// | 5 | push-forward | push the block forward to the target | push, 120 |
/// | 6 | turn-upright | turn the block upright without moving it away | push, 120 |
/// | 7 | place-left | put the cube on the left target | pick-place, 80 |
/// | 8 | place-right | put the cube on the right target | pick-place, 80 |
/// | 9 | lift | pick up the cube and lift it | pick-place, 80 |
///
/// - Action (4): `move_x, move_y, move_z, grip` in [-1, 1]; reach and push tasks read only the first
///   two components (the others are still checked and clipped).
/// - Observation (20 by default): the family's observation (reach 8, push 10, pick-place 10
///   components, as documented on `ReachObstacleEnv`, `PushEnv`, `PickPlaceEnv`), zero-padded to 10,
///   followed by a one-hot of the task index (omit it with `appendTaskOneHot = false`).
/// - Tasks are fixed per environment: env `i` runs `taskAssignment[i]`, by default `i % 10`, also
///   reported in `buffers.taskIndices`. Success, rewards and physics are those of the family, with
///   the family's default configuration.
///
/// Difficulty (preliminary, flow-matching SFT probe on the whole suite, 200 evaluation episodes,
/// measured with the suite's tolerances one step tighter than now: grasp 0.02, push angle 0.2):
/// 10 / 50 / 100 demonstrations in total → 20.5% / 26% / 31.5% average success, very uneven:
/// the reach tasks reach 65–100%, the push and pick-place tasks 0–15%.
public final class MultiTaskEnv: VectorEnv, FrameRendering {
    /// The suite's tasks in index order.
    public static let tasks: [TaskDescription] = suite.map(\.description)

    /// Every knob of the suite with its default.
    public struct Config: Sendable, Equatable {
        public var shapedReward: Bool
        /// A time limit for every task whose own limit (table above) is longer; nil keeps each task's own.
        public var maxEpisodeSteps: Int?
        /// The task of each environment (indices into `MultiTaskEnv.tasks`); nil means env i runs task i % 10.
        public var taskAssignment: [Int]?
        /// Append a one-hot task vector to every observation.
        public var appendTaskOneHot: Bool
        public var invalidActionPolicy: InvalidActionPolicy

        public init(shapedReward: Bool = false, maxEpisodeSteps: Int? = nil, taskAssignment: [Int]? = nil,
                    appendTaskOneHot: Bool = true, invalidActionPolicy: InvalidActionPolicy = .zeroAndCount) {
            precondition((maxEpisodeSteps ?? 1) >= 1, "a time limit must be at least one step")
            (self.shapedReward, self.maxEpisodeSteps, self.taskAssignment) = (shapedReward, maxEpisodeSteps, taskAssignment)
            (self.appendTaskOneHot, self.invalidActionPolicy) = (appendTaskOneHot, invalidActionPolicy)
        }
    }

    /// Family observations are padded to this many components.
    public static let familyObservationDim = 10

    public let config: Config
    public let spec: EnvSpec
    public var numEnvs: Int { driver.numEnvs }
    public var buffers: VectorEnvBuffers { driver.buffers }
    /// The task of each environment (`reset(seeds:tasks:)` changes it).
    public private(set) var taskAssignment: [Int]
    private(set) var reach: ReachObstacleKernel
    private(set) var push: PushKernel
    private(set) var pick: PickPlaceKernel
    let driver: EpisodeDriver

    public init(numEnvs: Int, config: Config = Config()) {
        let suite = Self.suite
        let assignment = config.taskAssignment ?? (0..<numEnvs).map { $0 % suite.count }
        precondition(assignment.count == numEnvs, "taskAssignment needs one task per environment")
        precondition(assignment.allSatisfy { (0..<suite.count).contains($0) },
                     "taskAssignment entries must be task indices in 0..<\(suite.count)")
        self.config = config
        taskAssignment = assignment
        let obsDim = Self.familyObservationDim + (config.appendTaskOneHot ? suite.count : 0)
        var names = (0..<Self.familyObservationDim).map { "state_\($0)" }
        var low = [Float](repeating: -1.25, count: Self.familyObservationDim)
        var high = [Float](repeating: 1.25, count: Self.familyObservationDim)
        if config.appendTaskOneHot {
            names += suite.map { "task_\($0.description.name)" }
            low += [Float](repeating: 0, count: suite.count)
            high += [Float](repeating: 1, count: suite.count)
        }
        let action = BoxSpace(names: ["move_x", "move_y", "move_z", "grip"], low: [-1, -1, -1, -1], high: [1, 1, 1, 1])
        func limit(_ own: Int) -> Int { TaskDescription.timeLimit(own, cappedAt: config.maxEpisodeSteps) }
        let tasks = suite.map { TaskDescription(name: $0.description.name, instruction: $0.description.instruction,
                                                maxEpisodeSteps: limit($0.description.maxEpisodeSteps)) }
        spec = EnvSpec(id: "multitask", observation: BoxSpace(names: names, low: low, high: high), action: action,
                       tasks: tasks)
        driver = EpisodeDriver(numEnvs: numEnvs, observationDim: obsDim, action: action,
                               policy: config.invalidActionPolicy)
        (reach, push, pick) = Self.kernels(assignment, config: config)
        for i in 0..<numEnvs { driver.buffers.taskIndices[i] = Int32(assignment[i]) }
    }

    /// The three families' kernels for a task assignment (each kernel simulates the environments
    /// whose task is one of its family's variants).
    private static func kernels(_ assignment: [Int], config: Config) -> (ReachObstacleKernel, PushKernel, PickPlaceKernel) {
        let suite = Self.suite
        func limit(_ own: Int) -> Int { TaskDescription.timeLimit(own, cappedAt: config.maxEpisodeSteps) }
        var reachEnvs: [Int] = [], reachVariants: [Int] = []
        var pushEnvs: [Int] = [], pushVariants: [Int] = []
        var pickEnvs: [Int] = [], pickVariants: [Int] = []
        for (i, t) in assignment.enumerated() {
            switch suite[t].family {
            case let .reach(v): reachEnvs.append(i); reachVariants.append(v)
            case let .push(v): pushEnvs.append(i); pushVariants.append(v)
            case let .pick(v): pickEnvs.append(i); pickVariants.append(v)
            }
        }
        let reach = ReachObstacleKernel(assignment: KernelAssignment(globalIndices: reachEnvs, variantIndices: reachVariants),
                                    variants: Self.reachVariants,
                                    config: ReachObstacleEnv.Config(shapedReward: config.shapedReward,
                                                                    maxEpisodeSteps: limit(ReachObstacleEnv.Config().maxEpisodeSteps)))
        let push = PushKernel(assignment: KernelAssignment(globalIndices: pushEnvs, variantIndices: pushVariants),
                          variants: Self.pushVariants,
                          config: PushEnv.Config(shapedReward: config.shapedReward, maxEpisodeSteps: limit(PushEnv.Config().maxEpisodeSteps)))
        let pick = PickPlaceKernel(assignment: KernelAssignment(globalIndices: pickEnvs, variantIndices: pickVariants),
                               variants: Self.pickVariants,
                               config: PickPlaceEnv.Config(shapedReward: config.shapedReward,
                                                           maxEpisodeSteps: limit(PickPlaceEnv.Config().maxEpisodeSteps)))
        return (reach, push, pick)
    }

    public var canChooseTasks: Bool { true }

    public func reset(seeds: [UInt64], tasks: [Int]) throws {
        try driver.validate(seeds: seeds)
        try validate(tasks: tasks)
        if tasks != taskAssignment {
            taskAssignment = tasks
            (reach, push, pick) = Self.kernels(tasks, config: config)
            for i in 0..<numEnvs { driver.buffers.taskIndices[i] = Int32(tasks[i]) }
        }
        try reset(seeds: seeds)
    }

    public func reset(seeds: [UInt64]) throws {
        try driver.validate(seeds: seeds)
        driver.beginReset()
        let b = driver.buffers
        let dim = b.observationDim
        for i in 0..<numEnvs {
            // Padding and the one-hot never change, so they are written here and nowhere else.
            for k in Self.familyObservationDim..<dim {
                let v: Float = (k - Self.familyObservationDim) == taskAssignment[i] ? 1 : 0
                b.observations[i * dim + k] = v
                b.finalObservations[i * dim + k] = v
            }
            for k in 0..<Self.familyObservationDim {
                b.observations[i * dim + k] = 0
                b.finalObservations[i * dim + k] = 0
            }
        }
        driver.reset(reach, seeds: seeds)
        driver.reset(push, seeds: seeds)
        driver.reset(pick, seeds: seeds)
    }

    public func step(actions: UnsafeBufferPointer<Float>) throws {
        try driver.validate(actions: actions)
        let a = actions.baseAddress!
        driver.advance(reach, actions: a)
        driver.advance(push, actions: a)
        driver.advance(pick, actions: a)
    }

    public func renderFrames(size: Int, into frames: UnsafeMutableBufferPointer<UInt8>) {
        checkFrameBuffer(size: size, frames)
        renderScenes(reach, size: size, into: frames)
        renderScenes(push, size: size, into: frames)
        renderScenes(pick, size: size, into: frames)
    }

    public func recordFinalFrames(size: Int) -> FinalFrames { driver.recordFinalFrames(size: size) }

    // MARK: The suite

    enum Family: Sendable {
        case reach(Int)
        case push(Int)
        case pick(Int)
    }

    struct SuiteTask: Sendable {
        var description: TaskDescription
        var family: Family
    }

    static let reachVariants: [ReachObstacleEnv.Layout] = [.standard, .topLeft, .topRight]
    static let pushVariants: [PushEnv.Layout] = [.left, .right, .forward, .turnUpright]
    static let pickVariants: [PickPlaceEnv.Layout] = [.left, .right, .lift]

    static let suite: [SuiteTask] = {
        let reach = ReachObstacleEnv.Config().maxEpisodeSteps
        let push = PushEnv.Config().maxEpisodeSteps
        let pick = PickPlaceEnv.Config().maxEpisodeSteps
        func task(_ name: String, _ instruction: String, _ limit: Int, _ family: Family) -> SuiteTask {
            SuiteTask(description: TaskDescription(name: name, instruction: instruction, maxEpisodeSteps: limit),
                      family: family)
        }
        return [
            task("reach-obstacle", "reach the goal behind the obstacle", reach, .reach(0)),
            task("reach-top-left", "reach the goal at the top left", reach, .reach(1)),
            task("reach-top-right", "reach the goal at the top right", reach, .reach(2)),
            task("push-left", "push the block to the left target", push, .push(0)),
            task("push-right", "push the block to the right target", push, .push(1)),
            task("push-forward", "push the block forward to the target", push, .push(2)),
            task("turn-upright", "turn the block upright without moving it away", push, .push(3)),
            task("place-left", "put the cube on the left target", pick, .pick(0)),
            task("place-right", "put the cube on the right target", pick, .pick(1)),
            task("lift", "pick up the cube and lift it", pick, .pick(2)),
        ]
    }()
}
