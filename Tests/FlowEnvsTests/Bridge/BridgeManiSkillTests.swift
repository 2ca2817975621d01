import FlowEnvs
import FlowTensor
import FlowTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension BridgeTests {
    /// ManiSkill3 through the bridge: fidelity to ManiSkill itself, determinism, the time limit, the
    /// rewards and the motion-planning expert.
    @Suite(.enabled(if: maniSkillPython.executable != nil, Comment(rawValue: maniSkillPython.skipReason)), .slow)
    struct ManiSkillTests {
        /// Steps ManiSkill directly (no bridge code) the way the suite documents: CPU simulation, state
        /// observations, the delta-pose controller, reset(seed=s); writes the Float32 observation after
        /// the reset and after every step.
        static let directScript = """
            import os, sys, numpy as np
            sys.path.insert(0, os.environ["PYTHONPATH"].split(":")[0])
            from flowtune_bridge.maniskill_suite import point_vulkan_at_bundled_driver
            point_vulkan_at_bundled_driver()
            import gymnasium as gym, mani_skill.envs
            task, seed, actions_path, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
            env = gym.make(task, obs_mode="state", control_mode="pd_ee_delta_pose", sim_backend="cpu")
            obs = [env.reset(seed=seed)[0].numpy().ravel()]
            for a in np.fromfile(actions_path, dtype="<f4").reshape(-1, 7):
                obs.append(env.step(a.reshape(1, 7))[0].numpy().ravel())
            np.asarray(obs, dtype="<f4").tofile(out_path)
            """

        @Test func bridgeObservationsAreBitIdenticalToSteppingManiSkillDirectly() throws {
            let env = try PythonBridgeEnv(id: "maniskill/PickCube-v1", numEnvs: 1, configuration: quietBridge(workers: 1))
            defer { env.close() }
            #expect(env.spec.observationDim == 42 && env.spec.actionDim == 7)
            #expect(env.spec.maxEpisodeSteps == 100)
            try env.reset(seeds: [17])
            let (observed, direct) = try bridgeAndDirectObservations(env, steps: 25, python: maniSkillPython, directScript: Self.directScript,
                                                                     arguments: ["PickCube-v1", "\(env.buffers.episodeSeeds[0] % (1 << 32))"])
            #expect(direct.count == observed.count)
            #expect(direct == observed, "the bridge must show exactly what ManiSkill computes")
        }

        /// The expert follows ManiSkill's motion plan with delta-pose actions: it solves PickCube and
        /// PushCube from these seeds, each episode ends terminated at its first success, and the sparse
        /// reward pays 1 on that step only; the dense reward adds the progress of ManiSkill's normalised
        /// reward, which telescopes to its total change over the episode (in [−1, 1]).
        @Test(arguments: ["maniskill/PickCube-v1", "maniskill/PushCube-v1"])
        func motionPlanningExpertSucceedsAndRewardsFollowTheDocumentedForm(id: String) throws {
            func episodes(dense: Bool) throws -> (rewards: [[Float]], success: [Bool]) {
                try expertEpisodeRewards(id: id, seeds: [3, 4], dense: dense)
            }
            let sparse = try episodes(dense: false), dense = try episodes(dense: true)
            #expect(sparse.success == [true, true], "ManiSkill's motion planner solves \(id) from seeds 3 and 4")
            for i in 0..<2 {
                #expect(sparse.rewards[i].count < 100, "succeeded before the time limit")
                #expect(sparse.rewards[i].reduce(0, +) == 1 && sparse.rewards[i].last == 1)
                #expect(dense.rewards[i].count == sparse.rewards[i].count, "the same actions give the same episode")
                let progress = zip(dense.rewards[i], sparse.rewards[i]).map { Double($0) - Double($1) }
                let total = progress.reduce(0, +)
                #expect(total > 0 && total <= 1 + 1e-5, "the normalised reward rises from the start to the success: \(total)")
            }
        }

        @Test func sameSeedsGiveTheSameEpisodesAndTheTimeLimitTruncates() throws {
            func run() throws -> [UInt32] {
                let env = try PythonBridgeEnv(id: "maniskill/PushCube-v1", numEnvs: 2, options: .init(maxEpisodeSteps: 12),
                                              configuration: quietBridge(workers: 2))
                defer { env.close() }
                try env.reset(seeds: [8, 9])
                var rng = RandomGenerator(seed: 1)
                var trace: [UInt32] = []
                for step in 1...15 {
                    try env.step(actions: (0..<14).map { _ in rng.nextUniform(-1, 1) })
                    for i in 0..<2 {
                        trace += env.buffers.observation(ofEnv: i).map(\.bitPattern)
                        #expect(env.buffers.isDone(i) == (step == 12), "truncated at the 12-step limit only")
                        if step == 12 { #expect(env.buffers.truncated[i] && !env.buffers.success[i]) }
                    }
                }
                return trace
            }
            #expect(try run() == run())
        }
    }

    /// Without ManiSkill's interpreter (an explicit plain one), a maniskill/ id names the install script.
    @Suite struct ManiSkillMissingTests {
        static let plainPythonHasManiSkill = (try? runBridgePython("import mani_skill").status == 0) ?? true

        @Test(.requiresPython("numpy"), .enabled(if: !plainPythonHasManiSkill, "the test Python has ManiSkill itself"))
        func maniSkillIdWithoutManiSkillNamesTheInstallScript() {
            let plain = PythonRuntime(executable: TestPython.executable)
            var configuration = quietBridge(workers: 1)
            configuration.python = plain
            do {
                _ = try EnvironmentRegistry.make(id: "maniskill/PickCube-v1", numEnvs: 1, bridge: configuration)
                Issue.record("maniskill/PickCube-v1 started without ManiSkill")
            } catch let BridgeError.missingPackage(message) {
                #expect(message.contains("scripts/install-maniskill"), "\(message)")
            } catch {
                Issue.record("expected BridgeError.missingPackage, got \(error)")
            }
        }

        @Test(.requiresPython("numpy"))
        func unknownManiSkillTaskListsTheBridgedOnes() {
            do {
                _ = try EnvironmentRegistry.make(id: "maniskill/OpenCabinetDrawer-v1", numEnvs: 1, bridge: quietBridge(workers: 1))
                Issue.record("an unbridged ManiSkill task started")
            } catch let BridgeError.unknownEnvironment(message) {
                #expect(message.contains("maniskill/PickCube-v1") && message.contains("maniskill/PegInsertionSide-v1"), "\(message)")
            } catch {
                Issue.record("expected BridgeError.unknownEnvironment, got \(error)")
            }
        }
    }
}
