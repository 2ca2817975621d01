import FlowNN
import FlowPolicy
import FlowTestSupport
import FlowTuneBench
import FlowTuneCLI
import Testing

/// `flowtune bench rollout`: its closing line, and the measurement itself on a cheap simulator.
@Suite struct RolloutBenchmarkTests {
    @Test func theLastLineGivesTheLargestWorkerCountsFractionOfThePlainLoop() {
        let rows = [RolloutBenchmark.Row(workers: 2, plainStepsPerSecond: 4000, iterationStepsPerSecond: 3000),
                    RolloutBenchmark.Row(workers: 1, plainStepsPerSecond: 2000, iterationStepsPerSecond: 1000)]
        #expect(RolloutBenchmark.summary(rows) == "rl iteration throughput: 75.0% of the plain loop (2 workers)")
        // With repetitions the line gives the median of back-to-back ratios, not the ratio of medians.
        let repeated = [RolloutBenchmark.Row(workers: 2, plainStepsPerSecond: 4000, iterationStepsPerSecond: 3000, fraction: 0.7)]
        #expect(RolloutBenchmark.summary(repeated) == "rl iteration throughput: 70.0% of the plain loop (2 workers)")
    }

    @Test(.requiresPython("numpy", "gymnasium"), .slow)
    func everyWorkerCountGetsAPlainAndAnRLRate() throws {
        let config = try FlowTuneConfig.load(yaml: "", overrides: [
            "env.id=gym/Pendulum-v1", "env.num_envs=2", "rl.iterations=1", "rl.minibatch_size=16",
        ])
        var bench = RolloutBenchmark(config: config) {
            var pc = FlowPolicyConfig(observationDim: 3, actionDim: 1)
            pc.encoderWidths = [16]
            pc.velocityWidth = 16
            pc.velocityDepth = 1
            var rng = RandomGenerator(seed: 1)
            return FlowPolicy(config: pc, rng: &rng)
        }
        bench.plainSteps = 20
        bench.repetitions = 2
        let rows = try bench.run(workerCounts: [1, 2])
        #expect(rows.map(\.workers) == [1, 2])
        for r in rows {
            #expect(r.plainStepsPerSecond.isFinite && r.plainStepsPerSecond > 0 && r.iterationStepsPerSecond.isFinite && r.iterationStepsPerSecond > 0, "\(r)")
            #expect(r.fraction.isFinite && r.fraction > 0, "\(r)")
        }
    }
}
