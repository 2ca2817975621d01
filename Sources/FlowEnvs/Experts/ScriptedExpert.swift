import FlowTensor

/// A hand-written controller that produces demonstrations for a built-in task.
///
/// ```swift
/// let env = try BuiltinEnvironments.make(id: "push", numEnvs: 32)
/// let expert = try BuiltinEnvironments.makeExpert(for: env, seed: 7)
/// var actions = [Float](repeating: 0, count: env.numEnvs * env.spec.actionDim)
/// try env.reset(seeds: (0..<32).map { UInt64($0) })
/// for _ in 0..<1000 {
///     expert.act(env.buffers, into: &actions)   // read obs_t, write a_t
///     try env.step(actions: actions)            // obs_{t+1}; done envs already auto-reset
/// }
/// ```
///
/// `act` reads the current `observations` (and `episodeSteps`, to notice that an environment started
/// a new episode, and `taskIndices` in the suite), and writes one action row per environment: the
/// controller's action plus independent Gaussian noise `N(0, noiseStd²)` on every component,
/// clipped to [-1, 1]. Each environment has its own noise stream derived from `seed`, so an expert
/// run is deterministic and environment `i`'s actions never depend on the other environments.
/// Experts keep small per-environment memories (a chosen route, the current pushing phase), which
/// is why `act` must be called once per step, in order.
public protocol ScriptedExpert: AnyObject {
    var numEnvs: Int { get }
    var actionDim: Int { get }
    /// Standard deviation of the Gaussian noise added to every action component.
    var noiseStd: Float { get set }
    /// Writes `[numEnvs × actionDim]` actions for the environments' current observations.
    func act(_ buffers: VectorEnvBuffers, into actions: UnsafeMutableBufferPointer<Float>)
}

extension ScriptedExpert {
    /// `act(_:into:)` for an array of `numEnvs × actionDim` floats.
    public func act(_ buffers: VectorEnvBuffers, into actions: inout [Float]) {
        actions.withUnsafeMutableBufferPointer { act(buffers, into: $0) }
    }
}

/// The controller inside a built-in expert: the noiseless action for one environment's observation,
/// with whatever it remembers per environment (a chosen route, the current pushing phase).
protocol ExpertController: AnyObject {
    /// Writes environment `i`'s action for observation `o`. `newEpisode` says the environment has
    /// just started an episode (memories start afresh); `noise` holds the environment's stream for
    /// any random choice the controller makes.
    func act(_ i: Int, _ o: UnsafePointer<Float>, newEpisode: Bool, noise: ExpertNoise, out a: UnsafeMutablePointer<Float>)
}

/// A built-in expert: one controller for every environment, plus each environment's action noise.
/// `ReachObstacleExpert`, `PushExpert`, `PickPlaceExpert` and `MultiTaskExpert` only choose the
/// controller.
public class ControllerExpert: ScriptedExpert {
    public let numEnvs: Int
    public let actionDim: Int
    public var noiseStd: Float
    let noise: ExpertNoise
    let controller: any ExpertController

    init(numEnvs: Int, actionDim: Int, noiseStd: Float, seed: UInt64, controller: any ExpertController) {
        self.numEnvs = numEnvs
        self.actionDim = actionDim
        self.noiseStd = noiseStd
        noise = ExpertNoise(numEnvs: numEnvs, seed: seed)
        self.controller = controller
    }

    public func act(_ buffers: VectorEnvBuffers, into actions: UnsafeMutableBufferPointer<Float>) {
        precondition(buffers.numEnvs == numEnvs && actions.count == numEnvs * actionDim,
                     "act needs the buffers of the expert's environment and numEnvs × actionDim actions")
        let obs = UnsafePointer(buffers.observations.baseAddress!)
        let out = actions.baseAddress!
        for i in 0..<numEnvs {
            let a = out + i * actionDim
            controller.act(i, obs + i * buffers.observationDim, newEpisode: buffers.episodeSteps[i] == 0,
                           noise: noise, out: a)
            noise.perturb(i, a, dim: actionDim, std: noiseStd)
        }
    }
}

/// The default expert noise, in action units (a tenth of full speed).
public let defaultExpertNoiseStd: Float = 0.1

/// Per-environment noise streams shared by the built-in experts.
final class ExpertNoise {
    let rngs: UnsafeMutablePointer<RandomGenerator>
    let count: Int

    init(numEnvs: Int, seed: UInt64) {
        count = numEnvs
        rngs = .allocate(capacity: numEnvs)
        let root = RandomGenerator(seed: seed)
        for i in 0..<numEnvs { (rngs + i).initialize(to: root.split(key: UInt64(i))) }
    }

    deinit { rngs.deallocate() }

    /// Adds N(0, std²) to `dim` components and clips them to [-1, 1].
    @inline(__always)
    func perturb(_ i: Int, _ a: UnsafeMutablePointer<Float>, dim: Int, std: Float) {
        for k in 0..<dim {
            let n = std > 0 ? std * rngs[i].nextNormal() : 0
            a[k] = clampf(a[k] + n, -1, 1)
        }
    }

    /// A fair coin from environment `i`'s stream.
    @inline(__always)
    func coin(_ i: Int) -> Bool { rngs[i].next() >> 63 == 1 }
}

/// Writes the displacement (dx, dy) as a 2-D velocity action, scaled down uniformly (keeping its
/// direction) when a component would exceed `maxStep`.
@inline(__always)
func writePlanarAction(_ a: UnsafeMutablePointer<Float>, dx: Float, dy: Float, maxStep: Float, fullSpeed: Bool = false) {
    let m = max(abs(dx), abs(dy))
    let s: Float = m > 0 && (fullSpeed || m > maxStep) ? maxStep / m : 1
    a[0] = dx * s / maxStep
    a[1] = dy * s / maxStep
}
