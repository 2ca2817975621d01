import FlowEnvs
import FlowTensor
import Testing

@Suite struct RegistryTests {
    @Test func unknownIDErrorNamesTheIDAndListsEveryValidID() {
        do {
            _ = try BuiltinEnvironments.make(id: "push-tee", numEnvs: 4)
            Issue.record("expected an error for an unknown id")
        } catch let error as BuiltinEnvironments.Error {
            let text = error.description
            #expect(text.contains("'push-tee'"))
            for id in BuiltinEnvironments.ids { #expect(text.contains(id), "\(id) missing from: \(text)") }
            #expect(error == .unknownID("push-tee", valid: BuiltinEnvironments.ids + ["push-block"]))
        } catch {
            Issue.record("unexpected error type \(error)")
        }
    }

    @Test func nonPositiveEnvironmentCountIsATypedError() {
        #expect(throws: BuiltinEnvironments.Error.invalidNumEnvs(0)) {
            _ = try BuiltinEnvironments.make(id: "push", numEnvs: 0)
        }
    }

    @Test func aliasMakesTheSameTask() throws {
        let env = try BuiltinEnvironments.make(id: "push-block", numEnvs: 2)
        #expect(env.spec.id == "push")
        #expect(env is PushEnv)
    }

    @Test(arguments: BuiltinEnvironments.ids)
    func everyIDMakesAnEnvironmentWithSmallConsistentSpaces(id: String) throws {
        let env = try BuiltinEnvironments.make(id: id, numEnvs: 3)
        let spec = env.spec
        #expect(spec.id == id)
        #expect(env.numEnvs == 3)
        #expect(spec.observationDim <= 32 && spec.actionDim <= 4)
        #expect(spec.observation.low.count == spec.observationDim && spec.observation.high.count == spec.observationDim)
        #expect(spec.action.low.allSatisfy { $0 == -1 } && spec.action.high.allSatisfy { $0 == 1 })
        #expect(env.buffers.observationDim == spec.observationDim)
        #expect((50...150).contains(spec.maxEpisodeSteps))
        #expect(spec.tasks.allSatisfy { !$0.instruction.isEmpty && $0.maxEpisodeSteps <= spec.maxEpisodeSteps })
    }

    @Test(arguments: BuiltinEnvironments.ids)
    func observationsStayWithinTheSpecBoundsUnderRandomActions(id: String) throws {
        let n = 32
        let env = try BuiltinEnvironments.make(id: id, numEnvs: n)
        try env.reset(seeds: seeds(n))
        var rng = RandomGenerator(seed: 21)
        let space = env.spec.observation
        for _ in 0..<300 {
            try env.step(actions: randomActions(count: n * env.spec.actionDim, rng: &rng))
            for i in 0..<n {
                #expect(space.contains(Array(env.buffers.observation(ofEnv: i))))
                if env.buffers.isDone(i) { #expect(space.contains(Array(env.buffers.finalObservation(ofEnv: i)))) }
            }
        }
    }

    /// A foreign environment, as a user or the Python bridge would write one.
    final class ForeignEnv: VectorEnv {
        let spec = EnvSpec(id: "foreign", observation: BoxSpace(names: ["x"], low: [0], high: [1]),
                           action: BoxSpace(names: ["a"], low: [-1], high: [1]),
                           tasks: [TaskDescription(name: "foreign", instruction: "do it", maxEpisodeSteps: 10)])
        let buffers = VectorEnvBuffers(numEnvs: 1, observationDim: 1)
        var numEnvs: Int { 1 }
        func reset(seeds: [UInt64]) throws {}
        func step(actions: UnsafeBufferPointer<Float>) throws {
            throw VectorEnvError.workerFailed(env: 0, message: "worker 0 exited with status 9")
        }
    }

    @Test func foreignEnvironmentsHaveNoExpertAndCanReportWorkerFailures() throws {
        let env = ForeignEnv()
        #expect(throws: BuiltinEnvironments.Error.noExpert(envID: "foreign")) {
            _ = try BuiltinEnvironments.makeExpert(for: env)
        }
        #expect(env.instruction(forEnv: 0) == "do it")
        do {
            try env.step(actions: [0])
        } catch let error as VectorEnvError {
            #expect(error.description.contains("environment 0 failed: worker 0 exited"))
        }
    }
}

extension RegistryTests {
    /// A time limit option caps every longer task limit (push 120, pick-place 80 → 70) and keeps the
    /// shorter ones (reach 60), in single-task environments, in the multitask suite's per-task limits,
    /// and in when episodes are truncated.
    @Test func aTimeLimitOptionShortensLongerTaskLimitsAndKeepsShorterOnes() throws {
        let options = BuiltinEnvironments.Options(maxEpisodeSteps: 70)
        #expect(try BuiltinEnvironments.make(id: "push", numEnvs: 1, options: options).spec.maxEpisodeSteps == 70)
        #expect(try BuiltinEnvironments.make(id: "pick-place", numEnvs: 1, options: options).spec.maxEpisodeSteps == 70)
        #expect(try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: 1, options: options).spec.maxEpisodeSteps == 60)
        let suite = try BuiltinEnvironments.make(id: "multitask", numEnvs: 10, options: options)
        #expect(suite.spec.tasks.map(\.maxEpisodeSteps) == [60, 60, 60, 70, 70, 70, 70, 70, 70, 70])
        #expect(MultiTaskEnv.tasks.map(\.maxEpisodeSteps) == [60, 60, 60, 120, 120, 120, 120, 80, 80, 80])

        let push = try BuiltinEnvironments.make(id: "push", numEnvs: 2, options: options)
        try push.reset(seeds: [1, 2])
        let still = [Float](repeating: 0, count: 2 * push.spec.actionDim)
        for step in 1...70 {
            try still.withUnsafeBufferPointer { try push.step(actions: $0) }
            #expect(push.buffers.truncated[0] == (step == 70), "a pusher that does not move is truncated at step 70 only")
        }
    }
}
