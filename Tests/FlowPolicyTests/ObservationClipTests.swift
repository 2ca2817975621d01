import FlowNN
import FlowPolicy
import FlowTestSupport
import Foundation
import Testing

/// The observation clip: a dimension that was nearly constant in the demonstrations cannot push the
/// encoder's input beyond ±clip, in-range observations are untouched, and the clip is saved.
@Suite struct ObservationClipTests {
    @Test func aDimensionFarOutsideTheDemonstrationsIsClippedAtTheBound() throws {
        let clipped = NearlyConstantDimensionPolicy.make(clip: 10)
        // 0.9 is 100 std below the mean, 0.98 is 20 std below it: both beyond the bound of 10.
        let far = try clipped.encode(observations: Tensor([0.5, 0.9], shape: [1, 2])).scalars
        let lessFar = try clipped.encode(observations: Tensor([0.5, 0.98], shape: [1, 2])).scalars
        #expect(far == lessFar)
        let unclipped = NearlyConstantDimensionPolicy.make(clip: nil)
        #expect(try unclipped.encode(observations: Tensor([0.5, 0.9], shape: [1, 2])).scalars != far)
    }

    @Test func observationsInsideTheBoundAreUntouched() throws {
        let obs = Tensor([0.3, 1.004, -2, 0.995], shape: [2, 2])
        #expect(try NearlyConstantDimensionPolicy.make(clip: 10).encode(observations: obs).scalars == NearlyConstantDimensionPolicy.make(clip: nil).encode(observations: obs).scalars)
    }

    @Test func theClipIsPartOfTheCheckpoint() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("clip-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NearlyConstantDimensionPolicy.make(clip: 7.5).save(to: path)
        #expect(try FlowPolicy.load(path).config.observationClip == 7.5)
    }

    @Test func aNonPositiveClipIsRejected() {
        var config = FlowPolicyConfig(observationDim: 2, actionDim: 1)
        config.observationClip = 0
        #expect(throws: FlowPolicyError.self) { try config.validate() }
    }
}
