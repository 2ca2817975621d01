import FlowTensor

/// The words an instruction encoder knows: lower-cased runs of letters and digits from a fixed set
/// of sentences, sorted, after `<unk>` at index 0 for every word outside them. Built from the
/// sentences alone, so a policy that stores its training instructions rebuilds the same vocabulary.
///
/// ```swift
/// let vocabulary = InstructionVocabulary(sentences: ["push the puck", "open the door"])
/// vocabulary.tokens("Push the DOOR!")   // [ids of "push", "the", "door"]
/// vocabulary.tokens("pull the door")    // [0, …]: "pull" is unknown
/// ```
public struct InstructionVocabulary: Equatable, Sendable {
    public static let unknown = "<unk>"
    /// `words[0]` is `<unk>`; the rest are sorted.
    public let words: [String]
    private let index: [String: Int]

    public init(sentences: [String]) {
        words = [Self.unknown] + Set(sentences.flatMap(Self.words(of:))).sorted()
        index = Dictionary(uniqueKeysWithValues: words.enumerated().map { ($1, $0) })
    }

    /// A sentence's words: lower-cased maximal runs of letters and digits.
    public static func words(of sentence: String) -> [String] {
        sentence.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    }

    /// The token ids of a sentence (0 for unknown words; `[0]` for a sentence without words).
    public func tokens(_ sentence: String) -> [Int] {
        let ids = Self.words(of: sentence).map { index[$0] ?? 0 }
        return ids.isEmpty ? [0] : ids
    }

    /// How many of a sentence's words are unknown.
    public func unknownWords(in sentence: String) -> Int { Self.words(of: sentence).filter { index[$0] == nil }.count }
}

/// Turns instructions into feature vectors without downloaded weights: a word-embedding table, the
/// mean of a sentence's word embeddings, and a small MLP, all trained with the policy. Sentences
/// that share words share features, so an instruction reworded with known words lands near the one
/// it rewords (`docs/architecture.md`, "Instructions").
///
/// Parameters: `embedding` `[vocabulary, embeddingDim]`, `mlp.layers.*`.
public final class InstructionEncoder: Module {
    public let embedding: Parameter
    public let mlp: MLP

    public init(vocabularySize: Int, embeddingDim: Int, hiddenWidth: Int, outputWidth: Int, activation: Activation,
                rng: inout RandomGenerator) {
        precondition(vocabularySize >= 1 && embeddingDim >= 1, "InstructionEncoder needs a vocabulary and an embedding width")
        embedding = Parameter(Tensor.randomNormal([vocabularySize, embeddingDim], std: 0.5, rng: &rng))
        mlp = MLP(widths: [embeddingDim, hiddenWidth, outputWidth], activation: activation, rng: &rng)
    }

    /// Features `[B, outputWidth]` of `B` tokenised sentences (each at least one token).
    public func callAsFunction(_ sentences: [[Int]]) -> Tensor {
        let tokens = sentences.flatMap { $0 }
        var pooling = [Float](repeating: 0, count: sentences.count * tokens.count)
        var offset = 0
        for (b, s) in sentences.enumerated() {
            precondition(!s.isEmpty, "a tokenised sentence needs at least one token")
            for t in 0..<s.count { pooling[b * tokens.count + offset + t] = 1 / Float(s.count) }
            offset += s.count
        }
        let means = matmul(Tensor(pooling, shape: [sentences.count, tokens.count]), embedding.value.gatherRows(tokens))
        return mlp(means)
    }
}
