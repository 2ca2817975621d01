import FlowNN
import FlowTensor
import Testing

/// The instruction vocabulary and encoder: tokens, unknown words, gradients, and that sentences
/// sharing words share features.
@Suite struct InstructionEncoderTests {
    @Test func theVocabularyIsTheSortedLowerCasedWordsAfterUnknown() {
        let v = InstructionVocabulary(sentences: ["Push the block", "open the door!", "push, then open"])
        #expect(v.words == ["<unk>", "block", "door", "open", "push", "the", "then"])
        #expect(v.tokens("PUSH the door") == [4, 5, 2])
        #expect(v.tokens("pull the door") == [0, 5, 2] && v.unknownWords(in: "pull the door") == 1)
        #expect(v.tokens("?!") == [0])
        #expect(InstructionVocabulary(sentences: ["open the door", "push the block"]) == InstructionVocabulary(sentences: ["push the block", "open the door"]))
    }

    @Test func encoderGradientsMatchFiniteDifferences() {
        var rng = RandomGenerator(seed: 2)
        let encoder = InstructionEncoder(vocabularySize: 6, embeddingDim: 4, hiddenWidth: 8, outputWidth: 3, activation: .silu, rng: &rng)
        let sentences = [[1, 2, 3], [4, 2], [5, 5, 1, 0]]
        let cotangent = Tensor.randomNormal([3, 3], rng: &rng)
        func loss() -> Double { zip(encoder(sentences).scalars, cotangent.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
        let (_, grads) = valueAndGrad(encoder) { m in (m(sentences) * cotangent).sum() }
        for (name, parameter) in encoder.namedParameters() {
            let original = parameter.value, g = grads[name]!.scalars
            for i in 0..<original.count {
                var plus = original.scalars, minus = original.scalars
                plus[i] += 1e-3
                minus[i] -= 1e-3
                parameter.value = Tensor(plus, shape: original.shape)
                let lp = loss()
                parameter.value = Tensor(minus, shape: original.shape)
                let lm = loss()
                parameter.value = original
                let numeric = (lp - lm) / 2e-3
                #expect(abs(numeric - Double(g[i])) <= 2e-3 + 2e-2 * max(abs(numeric), abs(Double(g[i]))),
                        "\(name)[\(i)]: autodiff \(g[i]), finite difference \(numeric)")
            }
        }
    }

    @Test func theEncoderLearnsToTellSentencesApartByTheirWords() {
        // Four instructions that differ in one or two words must map to four different targets.
        let sentences = ["push the block left", "push the block right", "lift the cube", "put the cube left"]
        let vocabulary = InstructionVocabulary(sentences: sentences)
        var rng = RandomGenerator(seed: 4)
        let encoder = InstructionEncoder(vocabularySize: vocabulary.words.count, embeddingDim: 8, hiddenWidth: 32, outputWidth: 4,
                                         activation: .silu, rng: &rng)
        let targets = Tensor((0..<16).map { Float($0 % 5 == 0 ? 1 : 0) }, shape: [4, 4])   // one-hot rows
        let optimizer = AdamW(schedule: .constant(1e-2))
        let tokens = sentences.map(vocabulary.tokens)
        var last: Float = 0
        for _ in 0..<300 {
            let (loss, grads) = valueAndGrad(encoder) { m in (m(tokens) - targets).square().mean() }
            optimizer.update(encoder, gradients: grads)
            last = loss.item
        }
        #expect(last < 1e-3, "squared error \(last)")
    }
}
