import FlowNN
import FlowPolicy
import Testing

/// `Normalizer.fit` with a std floor: a dimension that barely moved in the demonstrations is
/// scaled by the floor, wider dimensions and constant ones are fitted as without it.
@Suite struct NormalizerStdFloorTests {
    // Rows of [wide, nearly still, constant]: std 1, 0.0005 and 0.
    static let data: [Float] = [-1, 3.0005, 7,
                                 1, 2.9995, 7]

    @Test func aNearlyStillDimensionIsScaledByTheFloorInsteadOfItsOwnStd() {
        let plain = Normalizer.fit(Self.data, dim: 3)
        let floored = Normalizer.fit(Self.data, dim: 3, stdFloor: 0.01)
        #expect(abs(plain.std[1] - 0.0005) < 1e-5)
        #expect(floored.std[1] == 0.01)
        // A 2 mm move of the nearly still dimension: 4 std without the floor, 0.2 with it.
        let moved = Tensor([0, 3.002, 7], shape: [1, 3])
        #expect(abs(plain.normalize(moved).scalars[1] - 4) < 0.05)
        #expect(abs(floored.normalize(moved).scalars[1] - 0.2) < 0.01)
    }

    @Test func wideAndConstantDimensionsAndAllMeansAreUnchangedByTheFloor() {
        let plain = Normalizer.fit(Self.data, dim: 3)
        let floored = Normalizer.fit(Self.data, dim: 3, stdFloor: 0.01)
        #expect(floored.mean == plain.mean)
        #expect(floored.std[0] == plain.std[0] && floored.std[0] == 1)
        #expect(floored.std[2] == 1 && plain.std[2] == 1)   // constant: centred only, as before
    }

    @Test func aNonPositiveFloorIsRejectedByThePolicyConfig() {
        var config = FlowPolicyConfig(observationDim: 3, actionDim: 1)
        config.observationStdFloor = 0
        #expect(throws: FlowPolicyError.self) { try config.validate() }
        config.observationStdFloor = 0.01
        #expect(throws: Never.self) { try config.validate() }
    }
}
