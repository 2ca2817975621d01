import FlowTensor

/// The outcome of one control step of one environment.
struct KernelStep {
    var reward: Float
    var success: Bool
    /// A terminal failure (e.g. the object fell off the table).
    var failure: Bool
}

/// The physics of one built-in task for a set of environments, kept as structure-of-arrays columns.
/// `EpisodeDriver` wraps a kernel with everything that is the same for every task (action
/// sanitising, time limits, auto-reset, seed streams), and the generic driver functions are
/// specialised for each concrete kernel, so the inner loop has no dynamic dispatch.
///
/// A kernel owns `count` environments; `globalIndex[j]` is the position of its environment `j` in
/// the `VectorEnv` (the identity for single-task envs, a subset in the multitask suite).
protocol TaskKernel: AnyObject {
    /// Observation components the kernel writes (a suite may pad rows beyond this).
    static var observationDim: Int { get }
    /// Action components the kernel reads (a suite may pass longer rows).
    static var actionDim: Int { get }
    /// The action box the kernel reads (`actionDim` components).
    static var actionSpace: BoxSpace { get }
    var count: Int { get }
    var globalIndex: UnsafeMutablePointer<Int32> { get }
    /// Draws a new episode for environment `j` from `rng`.
    func reset(_ j: Int, rng: inout RandomGenerator)
    /// Advances environment `j` with an already sanitised action (finite, within bounds).
    func step(_ j: Int, action: UnsafePointer<Float>) -> KernelStep
    /// Writes environment `j`'s observation (`observationDim` floats).
    func observe(_ j: Int, into out: UnsafeMutablePointer<Float>)
    /// The time limit of environment `j`'s task.
    func maxSteps(_ j: Int) -> Int32
    /// Draws environment `j`'s objects on a canvas that already shows the empty table
    /// (`Rendering/TaskScenes.swift`).
    func render(_ j: Int, on canvas: Canvas)
}

/// A kernel that is a whole built-in task (`reach-obstacle`, `push`, `pick-place`): its id and
/// instruction, and how it is built from the task's config, so that `KernelEnv` can make the
/// single-task environment of any of them.
protocol SingleTaskKernel: TaskKernel {
    associatedtype Config: SingleTaskConfig
    static var id: String { get }
    static var instruction: String { get }
    /// The observation box (bounds may depend on the config).
    static func observationSpace(_ config: Config) -> BoxSpace
    init(assignment: KernelAssignment, variants: [Config.Layout], config: Config)
}

/// What `KernelEnv` reads of a single task's config.
protocol SingleTaskConfig {
    associatedtype Layout
    var maxEpisodeSteps: Int { get }
    var invalidActionPolicy: InvalidActionPolicy { get }
    var layout: Layout { get }
}

/// Which environments of the `VectorEnv` a kernel owns (`globalIndex[j]` for its environment `j`)
/// and which variant (layout) of its task each one runs (`variantIndex[j]`).
final class KernelAssignment {
    let count: Int
    let globalIndex: UnsafeMutablePointer<Int32>
    let variantIndex: UnsafeMutablePointer<Int32>

    init(globalIndices: [Int], variantIndices: [Int]) {
        precondition(globalIndices.count == variantIndices.count, "one variant per environment")
        count = globalIndices.count
        globalIndex = .allocate(capacity: max(count, 1))
        variantIndex = .allocate(capacity: max(count, 1))
        for j in 0..<count {
            (globalIndex + j).initialize(to: Int32(globalIndices[j]))
            (variantIndex + j).initialize(to: Int32(variantIndices[j]))
        }
    }

    /// Every one of `numEnvs` environments, running variant 0 (a single-task environment).
    convenience init(allOf numEnvs: Int) {
        self.init(globalIndices: Array(0..<numEnvs), variantIndices: [Int](repeating: 0, count: numEnvs))
    }

    deinit {
        globalIndex.deallocate()
        variantIndex.deallocate()
    }
}

/// The `VectorEnv` of one built-in task: an `EpisodeDriver` (buffers, seed streams, action bounds,
/// auto-reset) around the task's kernel (its physics). `ReachObstacleEnv`, `PushEnv` and
/// `PickPlaceEnv` add only their config and the kernel they build from it; the multitask suite
/// drives several kernels with one driver itself.
///
/// The driver's generic functions are specialised for the concrete kernel when the subclass
/// initialises this class, so `reset` and `step` make one indirect call per batch, not per env.
public class KernelEnv: VectorEnv, FrameRendering {
    public let spec: EnvSpec
    public var numEnvs: Int { driver.numEnvs }
    public var buffers: VectorEnvBuffers { driver.buffers }
    let driver: EpisodeDriver
    private let resetKernel: ([UInt64]) throws -> Void
    private let stepKernel: (UnsafeBufferPointer<Float>) throws -> Void
    private let renderKernel: (Int, UnsafeMutableBufferPointer<UInt8>) -> Void

    /// `numEnvs` environments of task `K`, every one in `config.layout`.
    init<K: SingleTaskKernel>(_: K.Type, numEnvs: Int, config: K.Config) {
        let task = TaskDescription(name: K.id, instruction: K.instruction, maxEpisodeSteps: config.maxEpisodeSteps)
        spec = EnvSpec(id: K.id, observation: K.observationSpace(config), action: K.actionSpace, tasks: [task])
        let kernel = K(assignment: KernelAssignment(allOf: numEnvs), variants: [config.layout], config: config)
        let driver = EpisodeDriver(numEnvs: numEnvs, observationDim: K.observationDim, action: K.actionSpace,
                                   policy: config.invalidActionPolicy)
        self.driver = driver
        resetKernel = { seeds in try driver.resetAll(kernel, seeds: seeds) }
        stepKernel = { actions in try driver.stepAll(kernel, actions: actions) }
        renderKernel = { size, frames in renderScenes(kernel, size: size, into: frames) }
    }

    public func reset(seeds: [UInt64]) throws { try resetKernel(seeds) }

    public func step(actions: UnsafeBufferPointer<Float>) throws { try stepKernel(actions) }

    public func renderFrames(size: Int, into frames: UnsafeMutableBufferPointer<UInt8>) {
        checkFrameBuffer(size: size, frames)
        renderKernel(size, frames)
    }

    public func recordFinalFrames(size: Int) -> FinalFrames { driver.recordFinalFrames(size: size) }
}

/// Per-environment bookkeeping common to every built-in task: buffers, seed streams, action bounds
/// and the invalid-action policy. See `VectorEnv` for the semantics it implements.
final class EpisodeDriver {
    let buffers: VectorEnvBuffers
    let numEnvs: Int
    let observationDim: Int
    let actionDim: Int
    let actionLow: UnsafeMutablePointer<Float>
    let actionHigh: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    /// The seed stream of each environment, from which auto-reset episodes draw their seeds.
    let streams: UnsafeMutablePointer<RandomGenerator>
    let policy: InvalidActionPolicy
    private(set) var hasReset = false
    /// When set, the last state of every finished episode is drawn here before the auto-reset.
    private(set) var finalFrames: FinalFrames?

    /// Keys that separate an environment's seed stream from its first episode's generator.
    static let streamKey: UInt64 = 0x5EED_5EED_0000_0001

    init(numEnvs: Int, observationDim: Int, action: BoxSpace, policy: InvalidActionPolicy) {
        precondition(numEnvs > 0, "a VectorEnv needs at least one environment")
        self.numEnvs = numEnvs
        self.observationDim = observationDim
        self.actionDim = action.dim
        self.policy = policy
        buffers = VectorEnvBuffers(numEnvs: numEnvs, observationDim: observationDim)
        actionLow = .allocate(capacity: action.dim)
        actionHigh = .allocate(capacity: action.dim)
        scratch = .allocate(capacity: action.dim)
        for k in 0..<action.dim {
            (actionLow + k).initialize(to: action.low[k])
            (actionHigh + k).initialize(to: action.high[k])
            (scratch + k).initialize(to: 0)
        }
        streams = .allocate(capacity: numEnvs)
        streams.initialize(repeating: RandomGenerator(seed: 0), count: numEnvs)
    }

    deinit {
        actionLow.deallocate()
        actionHigh.deallocate()
        scratch.deallocate()
        streams.deallocate()
    }

    func validate(seeds: [UInt64]) throws {
        guard seeds.count == numEnvs else {
            throw VectorEnvError.seedCountMismatch(expected: numEnvs, got: seeds.count)
        }
    }

    /// Throws if `step` cannot proceed; with `.reject`, scans all actions before anything moves.
    func validate(actions: UnsafeBufferPointer<Float>) throws {
        guard hasReset else { throw VectorEnvError.stepBeforeReset }
        guard actions.count == numEnvs * actionDim, actions.baseAddress != nil else {
            throw VectorEnvError.actionCountMismatch(expected: numEnvs * actionDim, got: actions.count)
        }
        if policy == .reject {
            for idx in 0..<actions.count where !actions[idx].isFinite {
                throw VectorEnvError.nonFiniteAction(env: idx / actionDim, component: idx % actionDim)
            }
        }
    }

    func recordFinalFrames(size: Int) -> FinalFrames {
        let frames = FinalFrames(numEnvs: numEnvs, size: size)
        finalFrames = frames
        return frames
    }

    /// Clears the per-step buffers; kernels then reset their own environments with `reset(_:seeds:)`.
    func beginReset() {
        for i in 0..<numEnvs { buffers.clearForReset(i) }
        hasReset = true
    }

    func reset<K: TaskKernel>(_ kernel: K, seeds: [UInt64]) {
        let b = buffers
        for j in 0..<kernel.count {
            let i = Int(kernel.globalIndex[j])
            let seed = seeds[i]
            streams[i] = RandomGenerator(seed: seed).split(key: Self.streamKey)
            b.episodeSeeds[i] = seed
            var rng = RandomGenerator(seed: seed)
            kernel.reset(j, rng: &rng)
            kernel.observe(j, into: b.observations.baseAddress! + i * observationDim)
        }
    }

    /// `VectorEnv.reset(seeds:)` for an environment driven by a single kernel: validate, clear, reset.
    func resetAll<K: TaskKernel>(_ kernel: K, seeds: [UInt64]) throws {
        try validate(seeds: seeds)
        beginReset()
        reset(kernel, seeds: seeds)
    }

    /// `VectorEnv.step(actions:)` for an environment driven by a single kernel: validate, advance.
    func stepAll<K: TaskKernel>(_ kernel: K, actions: UnsafeBufferPointer<Float>) throws {
        try validate(actions: actions)
        advance(kernel, actions: actions.baseAddress!)
    }

    /// One control step of all of `kernel`'s environments, with auto-reset.
    @inline(__always)
    func advance<K: TaskKernel>(_ kernel: K, actions: UnsafePointer<Float>) {
        let b = buffers
        let obs = b.observations.baseAddress!
        let finalObs = b.finalObservations.baseAddress!
        for j in 0..<kernel.count {
            let i = Int(kernel.globalIndex[j])
            let a = actions + i * actionDim
            var bad = false
            for k in 0..<actionDim {
                var v = a[k]
                if !v.isFinite { v = 0; bad = true }
                scratch[k] = min(max(v, actionLow[k]), actionHigh[k])
            }
            if bad { b.invalidActionCounts[i] &+= 1 }
            let out = kernel.step(j, action: scratch)
            let steps = b.episodeSteps[i] &+ 1
            let terminal = out.success || out.failure
            let timeUp = !terminal && steps >= kernel.maxSteps(j)
            b.rewards[i] = out.reward
            b.success[i] = out.success
            b.terminated[i] = terminal
            b.truncated[i] = timeUp
            if terminal || timeUp {
                kernel.observe(j, into: finalObs + i * observationDim)
                finalFrames?.draw(kernel, j, globalIndex: i)
                let seed = streams[i].next()
                b.episodeSeeds[i] = seed
                var rng = RandomGenerator(seed: seed)
                kernel.reset(j, rng: &rng)
                b.episodeSteps[i] = 0
            } else {
                b.episodeSteps[i] = steps
            }
            kernel.observe(j, into: obs + i * observationDim)
        }
    }
}

/// A block of `columns × count` Floats: column `k` is one state variable over all environments.
final class FloatColumns {
    let base: UnsafeMutablePointer<Float>
    let count: Int
    let columns: Int

    init(columns: Int, count: Int) {
        self.count = count
        self.columns = columns
        base = .allocate(capacity: max(columns * count, 1))
        base.initialize(repeating: 0, count: max(columns * count, 1))
    }

    deinit { base.deallocate() }

    func column(_ k: Int) -> UnsafeMutablePointer<Float> {
        precondition(k < columns, "column out of range")
        return base + k * count
    }
}

/// A uniform sample in [lo, hi] that tolerates lo == hi.
@inline(__always)
func uniform(_ rng: inout RandomGenerator, _ lo: Float, _ hi: Float) -> Float {
    lo + (hi - lo) * rng.nextUniform()
}

extension ClosedRange where Bound == Float {
    /// A uniform sample from the range (a degenerate range gives its single value).
    @inline(__always) func sample(_ rng: inout RandomGenerator) -> Float { uniform(&rng, lowerBound, upperBound) }
}
