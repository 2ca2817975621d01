/// `(observation, next H actions)` training pairs over a demonstration dataset.
///
/// ```swift
/// let pairs = ChunkedDemonstrations(dataset, chunkLength: 5)
/// let batch = pairs.batch(indices: [0, 17, 42])   // observations [3, obsDim], chunks [3, 5, actionDim]
/// ```
///
/// Every step of every episode starts one pair. Near an episode's end, where fewer than `H`
/// actions remain, the chunk is padded by **repeating the episode's last action** — what π0/openpi
/// training data does: the policy learns to hold its final command rather than to predict actions
/// of another episode. Pairs never cross an episode boundary.
public struct ChunkedDemonstrations: Sendable {
    public let dataset: DemonstrationDataset
    public let chunkLength: Int
    /// Step index of each pair's observation.
    public let pairSteps: [Int]
    /// Last step of the episode each pair belongs to.
    let episodeEnds: [Int]
    /// Task index of each pair.
    public let pairTasks: [Int]

    public init(_ dataset: DemonstrationDataset, chunkLength: Int) {
        precondition(chunkLength >= 1, "chunk length must be ≥ 1")
        self.dataset = dataset
        self.chunkLength = chunkLength
        var steps: [Int] = [], ends: [Int] = [], tasks: [Int] = []
        for e in 0..<dataset.episodeCount {
            let s = dataset.episodeStarts[e], n = dataset.episodeLengths[e]
            for t in s..<(s + n) {
                steps.append(t)
                ends.append(s + n - 1)
                tasks.append(dataset.episodeTasks[e])
            }
        }
        pairSteps = steps
        episodeEnds = ends
        pairTasks = tasks
    }

    public var count: Int { pairSteps.count }

    /// Observations `[B × obsDim]`, action chunks `[B × H × actionDim]` (row-major) and task indices.
    public func batch(indices: [Int]) -> (observations: [Float], chunks: [Float], tasks: [Int]) {
        let od = dataset.observationDim, ad = dataset.actionDim, h = chunkLength
        var obs = [Float](repeating: 0, count: indices.count * od)
        var chunks = [Float](repeating: 0, count: indices.count * h * ad)
        dataset.observations.withUnsafeBufferPointer { o in
            dataset.actions.withUnsafeBufferPointer { a in
                for (row, i) in indices.enumerated() {
                    let t = pairSteps[i]
                    for j in 0..<od { obs[row * od + j] = o[t * od + j] }
                    for k in 0..<h {
                        let src = min(t + k, episodeEnds[i])  // repeat the last action past the end
                        for j in 0..<ad { chunks[(row * h + k) * ad + j] = a[src * ad + j] }
                    }
                }
            }
        }
        return (obs, chunks, indices.map { pairTasks[$0] })
    }
}
