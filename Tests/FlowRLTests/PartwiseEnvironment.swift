import FlowEnvs

/// A `PipelinedVectorEnv` without Python, for the rollout pipeline's tests: each "worker" is a
/// built-in vector environment of its own, stepped when its part is begun, whose results reach
/// `buffers` only when the part is finished (as the bridge's replies do). Environment i's
/// trajectory depends only on its seeds and actions, so any sharding gives the same bits as one
/// built-in vector of all the environments.
final class PartwiseEnvironment: PipelinedVectorEnv {
    let spec: EnvSpec
    let numEnvs: Int
    let buffers: VectorEnvBuffers
    private let shards: [(range: Range<Int>, env: any VectorEnv)]
    private var inFlight = Set<Int>()
    /// Every begin and finish so far, in order (what the tests check the pipeline against).
    enum Event: Equatable { case begin(Range<Int>), finish(Range<Int>) }
    private(set) var events: [Event] = []

    init(id: String, numEnvs: Int, workers: Int) throws {
        var shards: [(Range<Int>, any VectorEnv)] = []
        var start = 0
        for k in 0..<workers {
            let size = numEnvs / workers + (k < numEnvs % workers ? 1 : 0)
            shards.append((start..<(start + size), try BuiltinEnvironments.make(id: id, numEnvs: size)))
            start += size
        }
        self.shards = shards
        self.numEnvs = numEnvs
        spec = shards[0].1.spec
        buffers = VectorEnvBuffers(numEnvs: numEnvs, observationDim: spec.observationDim)
    }

    func reset(seeds: [UInt64]) throws {
        precondition(inFlight.isEmpty, "reset while a step is in flight")
        for (k, s) in shards.enumerated() {
            try s.env.reset(seeds: Array(seeds[s.range]))
            copyRows(of: k)
        }
    }

    func step(actions: UnsafeBufferPointer<Float>) throws {
        try beginStep(actions: actions, environments: 0..<numEnvs)
        try finishStep(environments: 0..<numEnvs)
    }

    func stepParts(_ count: Int) -> [Range<Int>] {
        let p = max(1, min(count, shards.count))
        return (0..<p).map { k in shards[k * shards.count / p].range.lowerBound..<shards[(k + 1) * shards.count / p - 1].range.upperBound }
    }

    private func shardIndices(_ environments: Range<Int>) -> [Int] {
        let ks = shards.indices.filter { environments.contains(shards[$0].range.lowerBound) }
        precondition(!ks.isEmpty && shards[ks.first!].range.lowerBound == environments.lowerBound
                     && shards[ks.last!].range.upperBound == environments.upperBound, "\(environments) is not a part")
        return ks
    }

    func beginStep(actions: UnsafeBufferPointer<Float>, environments: Range<Int>) throws {
        let ad = spec.actionDim
        precondition(actions.count == environments.count * ad)
        for k in shardIndices(environments) {
            precondition(!inFlight.contains(k), "part begun twice")
            let r = shards[k].range
            let rows = UnsafeBufferPointer(rebasing: actions[((r.lowerBound - environments.lowerBound) * ad)..<((r.upperBound - environments.lowerBound) * ad)])
            try shards[k].env.step(actions: rows)
            inFlight.insert(k)
        }
        events.append(.begin(environments))
    }

    func finishStep(environments: Range<Int>) throws {
        for k in shardIndices(environments) {
            precondition(inFlight.remove(k) != nil, "finished without beginning")
            copyRows(of: k)
        }
        events.append(.finish(environments))
    }

    private func copyRows(of k: Int) {
        let (range, env) = shards[k], src = env.buffers, od = spec.observationDim
        for (j, i) in range.enumerated() {
            for c in 0..<od {
                buffers.observations[i * od + c] = src.observations[j * od + c]
                buffers.finalObservations[i * od + c] = src.finalObservations[j * od + c]
            }
            buffers.copyStepRecord(ofEnv: j, from: src, toEnv: i)
        }
    }
}
