import FlowNN
import FlowPolicy
import FlowTensor
import FlowTestSupport
import Foundation
import Testing

/// A multi-task policy that knows its task from the instruction: its parameters, what a checkpoint
/// keeps, and what other sentences do to it.
@Suite struct InstructionConditioningTests {
    static let sentences = ["push the block left", "push the block right", "lift the cube"]

    func policy(instructions: [String]? = sentences, seed: UInt64 = 0) -> FlowPolicy {
        var config = FlowPolicyConfig(observationDim: 4, actionDim: 2)
        config.taskCount = 3
        config.instructions = instructions
        var rng = RandomGenerator(seed: seed)
        return FlowPolicy(config: config, rng: &rng)
    }

    @Test func anInstructionPolicyHasAnInstructionEncoderInsteadOfATaskEmbedding() throws {
        let names = policy().namedParameters().map(\.name)
        #expect(names.contains("instructionEncoder.embedding") && !names.contains("taskEmbedding"))
        #expect(policy(instructions: nil).namedParameters().map(\.name).contains("taskEmbedding"))
        var config = policy().config
        config.instructions = ["only one"]
        #expect(throws: FlowPolicyError.self) { try config.validate() }
    }

    @Test func tasksGetTheirOwnFeaturesAndACheckpointKeepsThem() throws {
        let p = policy()
        var rng = RandomGenerator(seed: 1)
        let obs = Tensor.randomNormal([3, 4], rng: &rng)
        let features = try p.encode(observations: obs, taskIndices: [0, 1, 2]).scalars
        let sameObservation = try p.encode(observations: Tensor(Array(obs.scalars[0..<4]) + Array(obs.scalars[0..<4]), shape: [2, 4]),
                                           taskIndices: [0, 1]).scalars
        #expect(Array(sameObservation[0..<128]) != Array(sameObservation[128..<256]), "two tasks, one observation, one feature vector")
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try p.save(to: dir + "/policy.safetensors")
        let loaded = try FlowPolicy.load(dir + "/policy.safetensors")
        #expect(loaded.config.instructions == Self.sentences)
        #expect(try loaded.encode(observations: obs, taskIndices: [0, 1, 2]).scalars == features)
    }

    @Test func otherSentencesChangeTheFeaturesAndTheSameSentencesRestoreThem() throws {
        let p = policy()
        var rng = RandomGenerator(seed: 2)
        let obs = Tensor.randomNormal([3, 4], rng: &rng)
        let trained = try p.encode(observations: obs, taskIndices: [0, 1, 2]).scalars
        #expect(try p.instruct(with: ["shove the block left", "push the block right", "raise the cube"]) == 2)
        let reworded = try p.encode(observations: obs, taskIndices: [0, 1, 2]).scalars
        #expect(Array(reworded[0..<128]) != Array(trained[0..<128]) && Array(reworded[128..<256]) == Array(trained[128..<256]))
        #expect(try p.instruct(with: Self.sentences) == 0)
        #expect(try p.encode(observations: obs, taskIndices: [0, 1, 2]).scalars == trained)
        #expect(throws: FlowPolicyError.self) { try p.instruct(with: ["too few"]) }
        #expect(throws: FlowPolicyError.self) { try policy(instructions: nil).instruct(with: Self.sentences) }
    }
}
