import FlowDistributed
import FlowEnvs
import FlowPolicy
import FlowRL
import FlowTestSupport
import Foundation
import Testing

/// Data-parallel SFT with the ranks as threads (`ThreadedRanks`): each rank differentiates its share
/// of every minibatch and the gradients are summed, so the ranks fit what one process fits.
@Suite struct DataParallelSFTTests {
    @Test func severalRanksFitWhatOneProcessFitsToTheOrderOfTheFloatSums() throws {
        let env = try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: 1)
        let demos = try DemonstrationCollector(envID: "reach-obstacle").collect(episodes: 4, seed: 1)
        var pc = FlowPolicyConfig(observationDim: env.spec.observationDim, actionDim: env.spec.actionDim)
        (pc.encoderWidths, pc.velocityWidth, pc.velocityDepth, pc.timeEmbeddingDim, pc.denoisingSteps) = ([32], 32, 2, 8, 4)
        var config = SFTConfig()
        (config.steps, config.batchSize, config.warmupSteps) = (20, 30, 5)
        let policyConfig = pc, settings = config
        @Sendable func fit(_ world: any Communicator) throws -> [Float] {
            let trainer = try SFTTrainer(dataset: demos, policyConfig: policyConfig, config: settings, seed: 7)
            trainer.communicator = world
            var losses: [Float] = []
            trainer.logEvery = 1
            _ = try trainer.run { losses.append($0.trainLoss) }
            return losses
        }
        let one = try fit(SingleProcess())
        for ranks in [2, 3] {
            let perRank = try ThreadedRanks.run(ranks) { try fit($0) }
            #expect(perRank.allSatisfy { $0 == perRank[0] }, "every rank logs the same losses")
            for (a, b) in zip(perRank[0], one) {
                #expect(abs(a - b) <= 1e-4 * max(1, abs(b)), "\(ranks) ranks: loss \(a) vs one process \(b)")
            }
            #expect(perRank[0].count == 20)
        }
    }
}
