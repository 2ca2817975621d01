import FlowNN
import FlowPolicy
import Testing

/// `ChainRecord.largestStateMagnitude`: the largest |x| over every state a chain stored.
@Suite struct ChainRecordMagnitudeTests {
    static func record(initial: [Float], before: [Float], after: [Float]) -> ChainRecord {
        ChainRecord(mode: .flowSDE(schedule: .allSteps, noiseLevel: 0.5), initialNoise: Tensor(initial, shape: [1, 2]),
                    transitions: [.init(step: [0], before: Tensor(before, shape: [1, 2]), after: Tensor(after, shape: [1, 2]))])
    }

    @Test func theLargestMagnitudeIsFoundInWhicheverStateHoldsIt() {
        #expect(Self.record(initial: [0.5, -3], before: [0.1, 0.2], after: [1, 2]).largestStateMagnitude == 3)
        #expect(Self.record(initial: [0.5, 0.3], before: [-7, 0.2], after: [1, 2]).largestStateMagnitude == 7)
        #expect(Self.record(initial: [0.5, 0.3], before: [0.1, 0.2], after: [1, -12.5]).largestStateMagnitude == 12.5)
    }
}
