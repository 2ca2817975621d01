import FlowTensor

/// The scripted expert of the `multitask` suite: each environment is driven by its family's
/// controller (`ReachObstacleExpert`, `PushExpert`, `PickPlaceExpert`), chosen from its task index.
///
/// ```swift
/// let expert = MultiTaskExpert(env: env, seed: 1)
/// expert.act(env.buffers, into: &actions)     // [numEnvs × 4]
/// ```
public final class MultiTaskExpert: ScriptedExpert {
    public let numEnvs: Int
    public let actionDim = 4
    public var noiseStd: Float
    let reach: ReachPolicy
    let push: PushPolicy
    let pick: PickPlacePolicy
    let noise: ExpertNoise
    /// The family of each environment's task: 0 reach, 1 push, 2 pick-place (3: lift).
    let family: UnsafeMutablePointer<Int32>
    let side: UnsafeMutablePointer<Float>
    let pushMemory: UnsafeMutablePointer<PushPolicy.Memory>

    public init(env: MultiTaskEnv, noiseStd: Float = defaultExpertNoiseStd, seed: UInt64 = 0) {
        numEnvs = env.numEnvs
        self.noiseStd = noiseStd
        reach = ReachPolicy(maxStep: ReachObstacleEnv.Config().maxStep)
        push = PushPolicy(config: PushEnv.Config())
        pick = PickPlacePolicy(config: PickPlaceEnv.Config())
        noise = ExpertNoise(numEnvs: env.numEnvs, seed: seed)
        family = .allocate(capacity: env.numEnvs)
        side = .allocate(capacity: env.numEnvs)
        side.initialize(repeating: 1, count: env.numEnvs)
        pushMemory = .allocate(capacity: env.numEnvs)
        pushMemory.initialize(repeating: PushPolicy.Memory(), count: env.numEnvs)
        for i in 0..<env.numEnvs {
            let code: Int32
            switch MultiTaskEnv.suite[env.taskAssignment[i]].family {
            case .reach: code = 0
            case .push: code = 1
            case let .pick(v): code = MultiTaskEnv.pickVariants[v].goal == .lift ? 3 : 2
            }
            (family + i).initialize(to: code)
        }
    }

    deinit {
        family.deallocate()
        side.deallocate()
        pushMemory.deallocate()
    }

    public func act(_ buffers: VectorEnvBuffers, into actions: UnsafeMutableBufferPointer<Float>) {
        precondition(buffers.numEnvs == numEnvs && actions.count == numEnvs * actionDim,
                     "act needs the buffers of the expert's environment and numEnvs × actionDim actions")
        let obs = UnsafePointer(buffers.observations.baseAddress!)
        let out = actions.baseAddress!
        for i in 0..<numEnvs {
            let o = obs + i * buffers.observationDim
            let a = out + i * actionDim
            let newEpisode = buffers.episodeSteps[i] == 0
            a[2] = 0
            a[3] = 0
            switch family[i] {
            case 0:
                if newEpisode { side[i] = reach.chooseSide(o, coin: noise.coin(i)) }
                reach.act(o, side: &side[i], out: a)
            case 1:
                if newEpisode { pushMemory[i] = PushPolicy.Memory() }
                push.act(o, memory: &pushMemory[i], out: a)
            default:
                pick.act(o, lift: family[i] == 3, out: a)
            }
            noise.perturb(i, a, dim: actionDim, std: noiseStd)
        }
    }
}
