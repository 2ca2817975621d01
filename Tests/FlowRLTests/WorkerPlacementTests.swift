import FlowRL
import Testing

/// How a run shares the cores between simulator workers and the trainer's threads
/// (docs/architecture.md, "The rollout pipeline").
@Suite struct WorkerPlacementTests {
    @Test func withAWorkerPerCoreTheTrainerSamplesOnTheCoresOfThePartWhoseWorkersWait() {
        let two = WorkerPlacement(cores: 2, threads: 2, workers: 2, simulatorWorkers: true, updateOnWorkerCores: true)
        #expect(two.workers == 2 && two.rolloutThreads == 1)
        let eight = WorkerPlacement(cores: 8, threads: 8, workers: 8, simulatorWorkers: true, updateOnWorkerCores: true)
        #expect(eight.rolloutThreads == 4)
        let odd = WorkerPlacement(cores: 3, threads: 3, workers: 3, simulatorWorkers: true, updateOnWorkerCores: true)
        #expect(odd.rolloutThreads == 1, "the two-worker part simulates while the one-worker part is sampled")
    }

    @Test func withOneWorkerNothingSimulatesWhileTheTrainerSamples() {
        let p = WorkerPlacement(cores: 2, threads: 2, workers: 1, simulatorWorkers: true, updateOnWorkerCores: true)
        #expect(p.workers == 1 && p.rolloutThreads == 2 && p.updateThreads == 2)
    }

    @Test func theTrainerKeepsAtLeastOneThreadAndNeverMoreThanConfigured() {
        let crowded = WorkerPlacement(cores: 2, threads: 2, workers: 6, simulatorWorkers: true, updateOnWorkerCores: true)
        #expect(crowded.rolloutThreads == 1)
        let modest = WorkerPlacement(cores: 16, threads: 2, workers: 16, simulatorWorkers: true, updateOnWorkerCores: true)
        #expect(modest.rolloutThreads == 2 && modest.updateThreads == 2)
    }

    @Test func theUpdateTakesTheWorkersCoresBackUnlessAskedToStayOnTheRolloutsThreads() {
        let back = WorkerPlacement(cores: 4, threads: 4, workers: 4, simulatorWorkers: true, updateOnWorkerCores: true)
        #expect(back.rolloutThreads == 2 && back.updateThreads == 4)
        let stay = WorkerPlacement(cores: 4, threads: 4, workers: 4, simulatorWorkers: true, updateOnWorkerCores: false)
        #expect(stay.rolloutThreads == 2 && stay.updateThreads == 2)
    }

    @Test func builtInEnvironmentsHaveNoWorkersAndUseTheConfiguredThreadsThroughout() {
        let p = WorkerPlacement(cores: 2, threads: 2, workers: 2, simulatorWorkers: false, updateOnWorkerCores: false)
        #expect(p == WorkerPlacement(cores: 64, threads: 2, workers: 9, simulatorWorkers: false, updateOnWorkerCores: true))
        #expect(p.workers == 0 && p.rolloutThreads == 2 && p.updateThreads == 2)
    }
}
