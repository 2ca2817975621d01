import FlowTensor

/// The scripted expert of the `multitask` suite: each environment is driven by its family's
/// controller (`ReachObstacleExpert`, `PushExpert`, `PickPlaceExpert`), chosen from its task index.
///
/// ```swift
/// let expert = MultiTaskExpert(env: env, seed: 1)
/// expert.act(env.buffers, into: &actions)     // [numEnvs × 4]
/// ```
public final class MultiTaskExpert: ControllerExpert {
    public init(env: MultiTaskEnv, noiseStd: Float = defaultExpertNoiseStd, seed: UInt64 = 0) {
        super.init(numEnvs: env.numEnvs, actionDim: 4, noiseStd: noiseStd, seed: seed,
                   controller: MultiTaskController(env: env))
    }
}

/// Each environment's family controller, chosen from its task; the planar families' actions leave
/// the height and grip components at 0.
final class MultiTaskController: ExpertController {
    let reach: ReachController
    let push: PushController
    let place: PickPlaceController
    let lift: PickPlaceController
    /// The family of each environment's task: 0 reach, 1 push, 2 pick-place, 3 lift.
    let family: [Int32]

    init(env: MultiTaskEnv) {
        reach = ReachController(policy: ReachPolicy(maxStep: ReachObstacleEnv.Config().maxStep), numEnvs: env.numEnvs)
        push = PushController(policy: PushPolicy(config: PushEnv.Config()), numEnvs: env.numEnvs)
        let pick = PickPlacePolicy(config: PickPlaceEnv.Config())
        place = PickPlaceController(policy: pick, lift: false)
        lift = PickPlaceController(policy: pick, lift: true)
        family = env.taskAssignment.map { task in
            switch MultiTaskEnv.suite[task].family {
            case .reach: return 0
            case .push: return 1
            case let .pick(v): return MultiTaskEnv.pickVariants[v].goal == .lift ? 3 : 2
            }
        }
    }

    func act(_ i: Int, _ o: UnsafePointer<Float>, newEpisode: Bool, noise: ExpertNoise, out a: UnsafeMutablePointer<Float>) {
        a[2] = 0
        a[3] = 0
        let controller: ExpertController
        switch family[i] {
        case 0: controller = reach
        case 1: controller = push
        case 2: controller = place
        default: controller = lift
        }
        controller.act(i, o, newEpisode: newEpisode, noise: noise, out: a)
    }
}
