import FlowTuneCLI
import Foundation
import Testing

/// `run.bridge_workers` and `run.update_on_worker_cores` reach the trainer's placement and the
/// bridge (docs/architecture.md, "The rollout pipeline").
@Suite struct WorkerPlacementConfigTests {
    @Test func bridgeWorkersAndUpdateOnWorkerCoresReachThePlacementAndTheBridge() throws {
        let config = try FlowTuneConfig.load(yaml: "", overrides: [
            "env.id=metaworld/reach-v3", "env.num_envs=8", "rl.minibatch_size=16", "run.bridge_workers=2", "run.threads=2",
            "run.update_on_worker_cores=false",
        ])
        let p = config.workerPlacement
        #expect(p.workers == 2 && config.bridgeConfiguration.workers == 2)
        #expect(p.updateThreads == p.rolloutThreads)
        let back = try FlowTuneConfig.load(yaml: "", overrides: ["env.id=metaworld/reach-v3", "run.bridge_workers=2", "run.threads=2"])
        #expect(back.workerPlacement.updateThreads == 2)
    }

    @Test func noMoreWorkersThanEnvironments() throws {
        let config = try FlowTuneConfig.load(yaml: "", overrides: ["env.id=metaworld/reach-v3", "env.num_envs=3", "rl.minibatch_size=16", "run.bridge_workers=8"])
        #expect(config.workerPlacement.workers == 3)
    }

    @Test func builtInEnvironmentsHaveNoWorkers() throws {
        let config = try FlowTuneConfig.load(yaml: "", overrides: ["env.id=push", "run.bridge_workers=2", "run.threads=1"])
        #expect(config.workerPlacement.workers == 0 && config.workerPlacement.updateThreads == 1)
    }

    @Test func theSavedConfigExplainsBothKeys() throws {
        let yaml = FlowTuneConfig().yaml()
        #expect(yaml.contains("bridge_workers: null") && yaml.contains("FLOWTUNE_BRIDGE_WORKERS"))
        #expect(yaml.contains("update_on_worker_cores: true"))
    }
}
