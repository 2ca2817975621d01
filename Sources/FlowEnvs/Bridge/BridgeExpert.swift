/// The simulator's own scripted expert (e.g. MetaWorld's `metaworld.policies`), through the bridge.
///
/// ```swift
/// let env = try PythonBridgeEnv(id: "metaworld/push-v3", numEnvs: 16)
/// try env.reset(seeds: seeds)
/// let expert = try BridgeExpert(env: env, noiseStd: 0.1, seed: 7)   // attaches expert actions
/// expert.act(env.buffers, into: &actions)                            // no extra round trip
/// ```
///
/// Why the actions arrive with every step instead of being requested in `act`: the worker computes
/// them for the observations it has just produced, in the same round trip, so an expert rollout costs
/// no more messages than a policy rollout, and `act` (which cannot throw) never does I/O. The noise
/// is FlowTune's: independent N(0, noiseStd²) per environment and component from streams derived
/// from `seed`, clipped to [-1, 1], exactly as for the built-in experts.
public final class BridgeExpert: ScriptedExpert {
    public let numEnvs: Int
    public let actionDim: Int
    public var noiseStd: Float
    private let env: PythonBridgeEnv
    private let noise: ExpertNoise

    /// Attaches expert actions to `env`'s replies, resetting it first (with `seeds`) if it has not been.
    public init(env: PythonBridgeEnv, noiseStd: Float = defaultExpertNoiseStd, seed: UInt64 = 0) throws {
        guard env.hasExpert else { throw BuiltinEnvironments.Error.noExpert(envID: env.spec.id) }
        self.env = env
        numEnvs = env.numEnvs
        actionDim = env.spec.actionDim
        self.noiseStd = noiseStd
        noise = ExpertNoise(numEnvs: env.numEnvs, seed: seed)
        if !env.expertActionsAttached {
            if !env.hasBeenReset { try env.reset(seeds: (0..<env.numEnvs).map { UInt64($0) }) }
            try env.attachExpertActions(true)
        }
    }

    public func act(_ buffers: VectorEnvBuffers, into actions: UnsafeMutableBufferPointer<Float>) {
        precondition(actions.count == numEnvs * actionDim, "act needs numEnvs × actionDim floats")
        for j in 0..<actions.count { actions[j] = env.expertActions[j] }
        for i in 0..<numEnvs { noise.perturb(i, actions.baseAddress! + i * actionDim, dim: actionDim, std: noiseStd) }
    }
}
