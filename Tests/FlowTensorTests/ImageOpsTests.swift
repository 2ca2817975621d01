import FlowTensor
import FlowTestSupport
import Testing

/// The image ops (convolution, pooling, group norm, spatial soft-argmax, random shift): values
/// against the numpy reference vectors, backward rules against finite differences.
@Suite struct ImageOpsTests {
    let checker = GradientChecker()

    func check(_ name: String, _ inputs: [Tensor], seed: UInt64 = 0, checker custom: GradientChecker? = nil, _ f: ([Tensor]) -> Tensor) {
        let problem = (custom ?? checker).mismatch(inputs, seed: seed, f)
        #expect(problem == nil, "\(name): \(problem ?? "")")
    }

    // MARK: values against the reference vectors

    @Test func conv2dMatchesTheReferenceVectorsForEveryStridePaddingAndWindow() throws {
        for c in try ReferenceVectors.objects("conv2d") {
            let x = Tensor(try c.vector("x"), shape: try c.vector("x_shape").map { Int($0) })
            let w = Tensor(try c.vector("weight"), shape: try c.vector("weight_shape").map { Int($0) })
            let y = conv2d(x, weight: w, bias: Tensor(try c.vector("bias")),
                           stride: Int(try c.double("stride")), padding: Int(try c.double("padding")))
            #expect(allClose(y.scalars, try c.vector("y")), "conv2d \(x.shape) * \(w.shape)")
        }
    }

    @Test func maxAndAveragePoolingMatchTheReferenceVectorsWithPaddingLeftOut() throws {
        for c in try ReferenceVectors.objects("pool2d") {
            let x = Tensor(try c.vector("x"), shape: try c.vector("x_shape").map { Int($0) })
            let (k, s, p) = (Int(try c.double("kernel")), Int(try c.double("stride")), Int(try c.double("padding")))
            #expect(allClose(x.maxPool2d(kernel: k, stride: s, padding: p).scalars, try c.vector("max")), "max pool \(x.shape)")
            #expect(allClose(x.avgPool2d(kernel: k, stride: s, padding: p).scalars, try c.vector("avg")), "avg pool \(x.shape)")
        }
    }

    @Test func groupNormMatchesTheReferenceVectors() throws {
        for c in try ReferenceVectors.objects("group_norm") {
            let x = Tensor(try c.vector("x"), shape: try c.vector("x_shape").map { Int($0) })
            let y = x.groupNorm(groups: Int(try c.double("groups")), eps: Float(try c.double("eps")))
            #expect(allClose(y.scalars, try c.vector("y"), rtol: 1e-4, atol: 1e-4), "group norm \(x.shape)")
        }
    }

    @Test func spatialSoftmaxMatchesTheReferenceVectors() throws {
        for c in try ReferenceVectors.objects("spatial_softmax") {
            let x = Tensor(try c.vector("x"), shape: try c.vector("x_shape").map { Int($0) })
            let y = x.spatialSoftmax(temperature: Float(try c.double("temperature")))
            #expect(allClose(y.scalars, try c.vector("y")), "spatial softmax \(x.shape)")
        }
    }

    @Test func conv2dOverManyIm2colBlocksEqualsTheSameImagesOneByOne() {
        // 64×64×64 images with 3×3 windows need 2.4 M floats of columns each, so every image is its
        // own block; the batch must give the same bits as convolving each image alone.
        var s = ShapeSampler(seed: 9)
        let x = s.normal([3, 64, 64, 64]), w = s.normal([2, 3, 3, 64], std: 0.1), b = s.normal([2])
        let all = conv2d(x, weight: w, bias: b, stride: 1, padding: 1).scalars
        let perImage = (0..<3).flatMap { conv2d(x.slice(axis: 0, $0..<($0 + 1)), weight: w, bias: b, stride: 1, padding: 1).scalars }
        #expect(all == perImage)
    }

    @Test func groupNormWithOneGroupIsLayerNormOverEachSample() {
        var s = ShapeSampler(seed: 4)
        let x = s.normal([3, 2, 2, 6])
        let expected = x.reshaped([3, 24]).layerNorm().scalars
        #expect(allClose(x.groupNorm(groups: 1).scalars, expected, rtol: 1e-5, atol: 1e-5))
    }

    @Test func spatialSoftmaxOfASharpPeakIsThePeaksPosition() {
        var values = [Float](repeating: 0, count: 5 * 4)
        values[1 * 4 + 3] = 50   // row 1 of 5, column 3 of 4
        let keypoint = Tensor(values, shape: [1, 5, 4, 1]).spatialSoftmax().scalars
        #expect(abs(keypoint[0] - 1) < 1e-4 && abs(keypoint[1] - (-0.5)) < 1e-4, "\(keypoint)")
    }

    @Test func randomShiftWithoutPaddingIsTheIdentityAndItsShiftsFollowTheGenerator() {
        var s = ShapeSampler(seed: 5)
        let x = s.normal([4, 6, 5, 2])
        var rng = RandomGenerator(seed: 1)
        #expect(x.randomShift(pad: 0, rng: &rng).scalars == x.scalars)
        var a = RandomGenerator(seed: 7), b = RandomGenerator(seed: 7)
        #expect(x.randomShift(pad: 2, rng: &a).scalars == x.randomShift(pad: 2, rng: &b).scalars)
    }

    @Test func randomShiftMovesEachImageByWholePixelsAndRepeatsTheBorder() {
        // A single-column ramp: every output row must be an input row, clamped to the border.
        let h = 8
        let x = Tensor((0..<h).map(Float.init), shape: [1, h, 1, 1])
        var rng = RandomGenerator(seed: 3)
        var shifts = Set<Int>()
        for _ in 0..<40 {
            let y = x.randomShift(pad: 2, rng: &rng).scalars
            let dy = Int(y[2]) - 2
            #expect((-2...2).contains(dy))
            #expect(y == (0..<h).map { Float(min(max($0 + dy, 0), h - 1)) })
            shifts.insert(dy)
        }
        #expect(shifts.count == 5, "every shift in [−2, 2] is drawn: \(shifts.sorted())")
    }

    // MARK: gradients against finite differences

    @Test(arguments: [(1, 0), (1, 1), (2, 1), (3, 2)] as [(Int, Int)])
    func conv2dGradientsMatchFiniteDifferences(stride: Int, padding: Int) {
        var s = ShapeSampler(seed: UInt64(10 * stride + padding))
        let x = s.normal([2, 5, 4, 3]), w = s.normal([2, 3, 2, 3], std: 0.5), b = s.normal([2])
        check("conv2d stride \(stride) padding \(padding)", [x, w, b]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], stride: stride, padding: padding)
        }
        check("conv2d without bias", [x, w]) { conv2d($0[0], weight: $0[1], bias: nil, stride: stride, padding: padding) }
    }

    @Test func poolingGradientsMatchFiniteDifferences() {
        // Distinct values 0.1 apart, so no finite-difference step moves a window's maximum.
        var rng = RandomGenerator(seed: 11)
        let x = Tensor(rng.permutation(2 * 5 * 5 * 2).map { Float($0) * 0.1 }, shape: [2, 5, 5, 2])
        check("max pool 2/2", [x]) { $0[0].maxPool2d(kernel: 2) }
        check("max pool 3/2 padded", [x]) { $0[0].maxPool2d(kernel: 3, stride: 2, padding: 1) }
        check("avg pool 2/1", [x]) { $0[0].avgPool2d(kernel: 2, stride: 1) }
        check("avg pool 3/2 padded", [x]) { $0[0].avgPool2d(kernel: 3, stride: 2, padding: 1) }
    }

    @Test func groupNormGradientsMatchFiniteDifferences() {
        var s = ShapeSampler(seed: 12)
        let x = s.normal([2, 3, 2, 4], std: 2)
        for groups in [1, 2, 4] {
            check("group norm \(groups) groups", [x], checker: GradientChecker(step: 1e-2, absoluteTolerance: 5e-3, relativeTolerance: 3e-2)) {
                $0[0].groupNorm(groups: groups)
            }
        }
    }

    @Test func spatialSoftmaxAndRandomShiftGradientsMatchFiniteDifferences() {
        var s = ShapeSampler(seed: 13)
        let x = s.normal([2, 4, 3, 2])
        check("spatial softmax", [x]) { $0[0].spatialSoftmax() }
        check("spatial softmax, T = 0.5", [x]) { $0[0].spatialSoftmax(temperature: 0.5) }
        check("random shift", [x]) { xs in
            var rng = RandomGenerator(seed: 2)   // the same shifts at every evaluation
            return xs[0].randomShift(pad: 1, rng: &rng)
        }
    }
}
