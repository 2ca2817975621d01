import FlowDistributed
import FlowEnvs
import FlowPolicy
import FlowRL
import FlowTestSupport
import Foundation
import Testing

/// Data-parallel RL with the ranks as threads of this process (`ThreadedRanks`; the MPI jobs are in
/// FlowTuneCLITests): the update of several ranks is the update of one process over all their
/// rollouts (docs/distributed.md).
@Suite struct DataParallelUpdateTests {
    /// One iteration with one minibatch of everything (one epoch): the order of rows cannot matter,
    /// so N ranks of E environments must give what one process of N·E environments gives, up to the
    /// order of the float sums. The gradient's norm (before clipping) is that of the summed
    /// gradient, so it checks the gradient sum itself.
    /// (fpo-lyu without its Q-ensemble: credit assignment makes its loss a mean over executed action
    /// steps, which ranks hold unevenly. Random numbers drawn in the update, such as a Q-ensemble's
    /// pessimism and bootstrap masks, are drawn per rank, so with an ensemble the update matches one
    /// process in distribution only.)
    static func config(_ algo: RLConfig.Algorithm) -> RLConfig {
        var c = RLConfig()
        c.algo = algo
        c.qEnsemble = false
        c.rolloutSteps = 6
        c.epochs = 1
        c.minibatchSize = 100_000
        c.iterations = 1
        return c
    }

    static let exact = ["env_steps", "decisions", "train_episodes", "train_success", "train_return", "train_length", "chain_abs_max"]
    /// (σ's mean is merged from each rank's mean, so it may differ in the last bit.)
    static let close = ["sigma_mean", "grad_norm_actor", "grad_norm_critic", "policy_loss", "value_loss", "approx_kl", "ratio_mean", "explained_variance", "advantage_mean"]

    @Test(arguments: [RLConfig.Algorithm.flowSDE, .flowNoise, .fpoLyu])
    func theUpdateOfSeveralRanksIsTheUpdateOfOneProcessOverAllTheirRollouts(_ algo: RLConfig.Algorithm) throws {
        let c = Self.config(algo)
        let noise = algo == .flowNoise
        let one = try RLTrainer(policy: try RLTrainerTests.policy(noise: noise), envID: "reach-obstacle", config: c,
                                run: RLRun(numEnvs: 12, seed: 5)).runIteration()
        for ranks in [2, 3] {
            let perRank = try ThreadedRanks.run(ranks) { world in
                try RLTrainer(policy: try RLTrainerTests.policy(noise: noise), envID: "reach-obstacle", config: c,
                              run: RLRun(numEnvs: 12 / ranks, seed: 5), communicator: world).runIteration()
                    .filter { !RLTrainer.isTimingMetric($0.key) }
            }
            let differing = perRank[0].keys.filter { key in perRank.contains { $0[key] != perRank[0][key] } }.sorted()
            #expect(differing.isEmpty, "every rank reports the same metrics; these differ: \(differing)")
            let job = perRank[0]
            for key in Self.exact {
                #expect(job[key] == one[key], "\(algo), \(ranks) ranks, \(key): \(job[key] ?? .nan) vs one process \(one[key] ?? .nan)")
            }
            for key in Self.close where one[key] != nil {
                let (a, b) = (job[key] ?? .nan, one[key]!)
                #expect(abs(a - b) <= 1e-5 * max(1, abs(b)), "\(algo), \(ranks) ranks, \(key): \(a) vs one process \(b)")
                #expect(a.isFinite, "\(key)")
            }
        }
    }

    /// A multi-task suite with the environments dealt by success and per-task normalisation: the deal
    /// is made from all ranks' episodes, so N ranks of E environments collect, in the first two
    /// iterations, what one process of N·E collects, task by task.
    @Test func ranksDealTheTasksFromAllTheirEpisodes() throws {
        var settings = Self.config(.flowSDE)
        (settings.iterations, settings.taskAllocation, settings.advantageNormalization) = (2, .success, .task)
        let c = settings
        let env = try BuiltinEnvironments.make(id: "multitask", numEnvs: 1)
        let (od, ad) = (env.spec.observationDim, env.spec.actionDim)
        @Sendable func metrics(_ trainer: RLTrainer) throws -> [[String: Double]] {
            try (0..<2).map { _ in try trainer.runIteration().filter { !RLTrainer.isTimingMetric($0.key) } }
        }
        let one = try metrics(RLTrainer(policy: RLTrainerTests.policy(observationDim: od, actionDim: ad), envID: "multitask", config: c,
                                        run: RLRun(numEnvs: 40, seed: 2)))
        let perRank = try ThreadedRanks.run(2) { world in
            try metrics(RLTrainer(policy: RLTrainerTests.policy(observationDim: od, actionDim: ad), envID: "multitask", config: c,
                                  run: RLRun(numEnvs: 20, seed: 2), communicator: world))
        }
        #expect(perRank[0] == perRank[1])
        for iteration in 0..<2 {
            let keys = one[iteration].keys.filter { $0.hasPrefix("task_envs_") || $0.hasPrefix("train_success_") }
            #expect(keys.count >= 8)
            for key in keys { #expect(perRank[0][iteration][key] == one[iteration][key], "iteration \(iteration + 1), \(key)") }
        }
    }

    /// Several minibatches and epochs: every rank takes the same steps (the same parameters at the
    /// end, which the trainer checks after every update) and two runs give the same bits.
    @Test func ranksTakeTheSameStepsAndRepeatBitForBit() throws {
        var settings = Self.config(.flowSDE)
        (settings.epochs, settings.minibatchSize, settings.iterations) = (2, 24, 2)
        let c = settings
        func job() throws -> [[String: Double]] {
            try ThreadedRanks.run(3) { world in
                let trainer = try RLTrainer(policy: try RLTrainerTests.policy(), envID: "reach-obstacle", config: c,
                                            run: RLRun(numEnvs: 4, seed: 5), communicator: world)
                var last: [String: Double] = [:]
                try trainer.run(onIteration: { last = $0.filter { !RLTrainer.isTimingMetric($0.key) } })
                last["parameter_sum"] = trainer.policy.parameterValues().values.reduce(0.0) { $0 + $1.scalars.reduce(0.0) { $0 + Double($1) } }
                return last
            }
        }
        let (a, b) = (try job(), try job())
        #expect(a == b)
        #expect(a.allSatisfy { $0 == a[0] })
        #expect((a[0]["update_minibatches"] ?? 0) > 2)
    }
}
