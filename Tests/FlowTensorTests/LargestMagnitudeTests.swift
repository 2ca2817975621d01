import FlowTensor
import Testing

/// `Tensor.largestMagnitude`: the largest |value|, whichever its sign, 0 when there are none.
@Suite struct LargestMagnitudeTests {
    @Test func theLargestAbsoluteValueIsFoundWhateverItsSign() {
        #expect(Tensor([0.5, -3, 2], shape: [3]).largestMagnitude == 3)
        #expect(Tensor([0.5, 3, -2], shape: [1, 3]).largestMagnitude == 3)
        #expect(Tensor([Float](), shape: [0]).largestMagnitude == 0)
    }
}
