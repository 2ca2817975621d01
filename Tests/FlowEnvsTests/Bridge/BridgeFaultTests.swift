import FlowEnvs
import FlowTensor
import FlowTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension BridgeTests {
    /// Crashed and hung workers, and errors that tell the user what to do.
    @Suite struct FaultTests {
        @Test(.requiresPython("numpy", "gymnasium"))
        func killedWorkerIsRestartedAndItsEpisodesEndAsTruncated() throws {
            let env = try PythonBridgeEnv(id: "gym/Pendulum-v1", numEnvs: 4, configuration: quietBridge(workers: 2))
            defer { env.close() }
            try env.reset(seeds: [1, 2, 3, 4])
            try env.step(actions: [Float](repeating: 0.1, count: 4))
            let before = env.workerPIDs
            let seedsBefore = Array(env.buffers.episodeSeeds)
            kill(before[0], SIGKILL)
            #expect(waitUntilGone(before[0], seconds: 10))
            try env.step(actions: [Float](repeating: 0.1, count: 4))
            #expect(env.restarts.count == 1)
            #expect(env.restarts.first?.worker == 0 && env.restarts.first?.environments == 0..<2)
            #expect(Array(env.buffers.truncated) == [true, true, false, false])
            #expect(Array(env.buffers.terminated) == [false, false, false, false])
            #expect(Array(env.buffers.episodeSteps) == [0, 0, 2, 2])
            #expect(env.buffers.episodeSeeds[0] != seedsBefore[0] && env.buffers.episodeSeeds[2] == seedsBefore[2])
            #expect(env.workerPIDs[0] != before[0] && env.workerPIDs[1] == before[1])
            try env.step(actions: [Float](repeating: 0.1, count: 4))
            #expect(Array(env.buffers.episodeSteps) == [1, 1, 3, 3], "the restarted worker steps on")
        }

        /// Stepping in parts: the other part's step, in flight meanwhile, is not disturbed.
        @Test(.requiresPython("numpy", "gymnasium"))
        func aWorkerKilledDuringItsPartsStepEndsOnlyThatPartsEpisodes() throws {
            let env = try PythonBridgeEnv(id: "gym/Pendulum-v1", numEnvs: 4, configuration: quietBridge(workers: 2))
            defer { env.close() }
            try env.reset(seeds: [1, 2, 3, 4])
            let parts = env.stepParts(2)
            #expect(parts == [0..<2, 2..<4])
            let before = env.workerPIDs
            try [Float](repeating: 0.1, count: 2).withUnsafeBufferPointer { a in
                try env.beginStep(actions: a, environments: parts[0])
                kill(before[1], SIGKILL)   // before its request: a reply already sent would still be read
                #expect(waitUntilGone(before[1], seconds: 10))
                try env.beginStep(actions: a, environments: parts[1])
                try env.finishStep(environments: parts[0])
                #expect(Array(env.buffers.truncated) == [false, false, false, false] && Array(env.buffers.episodeSteps) == [1, 1, 0, 0])
                try env.finishStep(environments: parts[1])
            }
            #expect(env.restarts.count == 1 && env.restarts.first?.environments == 2..<4)
            #expect(Array(env.buffers.truncated) == [false, false, true, true])
            #expect(env.workerPIDs[0] == before[0] && env.workerPIDs[1] != before[1])
            try env.step(actions: [Float](repeating: 0.1, count: 4))
            #expect(Array(env.buffers.episodeSteps) == [2, 2, 1, 1], "both parts step on")
        }

        @Test(.requiresPython("numpy", "gymnasium"), .slow)
        func hungWorkerTimesOutAndIsRestarted() throws {
            let env = try PythonBridgeEnv(id: "gym/Pendulum-v1", numEnvs: 2, configuration: quietBridge(workers: 2, stepTimeout: 3))
            defer { env.close() }
            try env.reset(seeds: [1, 2])
            let hung = env.workerPIDs[1]
            kill(hung, SIGSTOP)   // alive but silent, like a simulator stuck in a loop
            try env.step(actions: [0, 0])
            #expect(env.restarts.count == 1 && env.restarts[0].worker == 1)
            #expect(env.restarts[0].reason.contains("did not answer"), "\(env.restarts[0].reason)")
            #expect(Array(env.buffers.truncated) == [false, true])
            #expect(waitUntilGone(hung, seconds: 10), "the hung worker was killed")
        }

        @Test(.requiresPython("numpy", "gymnasium"))
        func workerThatKeepsFailingBecomesAWorkerFailedError() throws {
            let env = try PythonBridgeEnv(id: "gym/Pendulum-v1", numEnvs: 1, configuration: quietBridge(workers: 1, maxRestarts: 0))
            defer { env.close() }
            try env.reset(seeds: [1])
            kill(env.workerPIDs[0], SIGKILL)
            #expect(throws: VectorEnvError.self) { try env.step(actions: [0]) }
        }

        @Test(.requiresPython("numpy", "gymnasium", "metaworld"))
        func unknownMetaWorldTaskErrorListsTheValidIDs() {
            do {
                _ = try EnvironmentRegistry.make(id: "metaworld/reach-v9", numEnvs: 1, bridge: quietBridge(workers: 1))
                Issue.record("an unknown MetaWorld task was accepted")
            } catch let BridgeError.unknownEnvironment(message) {
                #expect(message.contains("'metaworld/reach-v9'"))
                for id in ["metaworld/reach-v3", "metaworld/pick-place-v3", "metaworld/MT10", "metaworld/MT50"] {
                    #expect(message.contains(id), "\(id) missing from: \(message)")
                }
            } catch {
                Issue.record("expected BridgeError.unknownEnvironment, got \(error)")
            }
        }

        @Test func unknownIDErrorListsBuiltinIDsAndBridgeIDForms() {
            do {
                _ = try EnvironmentRegistry.make(id: "mujoco-ant", numEnvs: 1)
                Issue.record("an unknown id was accepted")
            } catch {
                let text = "\(error)"
                for id in BuiltinEnvironments.ids + EnvironmentRegistry.bridgeIDPatterns {
                    #expect(text.contains(id), "\(id) missing from: \(text)")
                }
            }
        }

        static let pushtInstalled = (try? runBridgePython("import gym_pusht").status == 0) ?? false

        @Test(.requiresPython("numpy", "gymnasium"),
               .enabled(if: !pushtInstalled, "gym-pusht is installed here, so its absence cannot be tested"))
        func missingSimulatorPackageErrorNamesWhatToPipInstall() {
            do {
                _ = try EnvironmentRegistry.make(id: "pusht", numEnvs: 1, bridge: quietBridge(workers: 1))
                Issue.record("pusht started without gym-pusht")
            } catch let BridgeError.missingPackage(message) {
                #expect(message.contains("pip install gym-pusht"), "\(message)")
            } catch {
                Issue.record("expected BridgeError.missingPackage, got \(error)")
            }
        }

        @Test func missingInterpreterErrorSaysHowToPointAtOne() {
            let config = PythonBridgeEnv.Configuration(workers: 1, python: PythonRuntime(executable: "/nonexistent/python3"))
            do {
                _ = try PythonBridgeEnv(id: "gym/Pendulum-v1", numEnvs: 1, configuration: config)
                Issue.record("a nonexistent interpreter started")
            } catch let error as BridgeError {
                #expect("\(error)".contains("FLOWTUNE_PYTHON"), "\(error)")
            } catch {
                Issue.record("expected BridgeError, got \(error)")
            }
        }
    }
}
