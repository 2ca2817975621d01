import FlowEnvs
import Testing

// Speed is measured by `EnvBenchmark.run` (and `flowtune bench envs`), never asserted in tests:
// these only check that the benchmark runs and counts what it claims.
@Suite struct EnvBenchmarkTests {
    @Test(arguments: BuiltinEnvironments.ids)
    func benchmarkCountsEveryEnvironmentStep(id: String) throws {
        let r = try EnvBenchmark.run(id: id, numEnvs: 16, steps: 200)
        #expect(r.id == id && r.numEnvs == 16 && r.steps == 200)
        #expect(r.totalEnvSteps == 3200)
        #expect(r.seconds > 0 && r.stepsPerSecond.isFinite && r.stepsPerSecond > 0)
        #expect(r.episodesFinished > 0 && r.successes <= r.episodesFinished)
    }

    @Test func expertBenchmarkFinishesSuccessfulEpisodes() throws {
        let r = try EnvBenchmark.run(id: "pick-place", numEnvs: 16, steps: 200, actions: .expert)
        #expect(r.successes > 0)
    }

    @Test func benchmarkOfAnUnknownIDThrows() {
        #expect(throws: BuiltinEnvironments.Error.self) { _ = try EnvBenchmark.run(id: "nope", numEnvs: 1, steps: 1) }
    }
}
