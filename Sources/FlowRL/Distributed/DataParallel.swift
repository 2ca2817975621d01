import FlowDistributed
import FlowNN

/// What data-parallel RL needs from the ranks of a job (docs/distributed.md): every rank collects
/// its own environments' rollouts, and the update behaves as one update over all ranks' rollouts.
///
/// - The rows of all ranks form one global batch, rank-major (rank 0's rows first). Every rank draws
///   the same permutation of it from a stream shared by all ranks, so every minibatch is a set of
///   global rows; each rank differentiates the loss on the rows it holds, weighted by its share of
///   the minibatch, and the gradients are summed over ranks in rank order. The sum is the gradient
///   of the minibatch's loss, however its rows are spread, and ranks that hold none of them still
///   take part with zeros, so every rank takes the same number of steps.
/// - Statistics that decide a branch (advantage normalisation, the KL stop, a non-finite gradient)
///   are computed from all ranks' values, so every rank takes the same branch.
///
/// With one process every function returns its input unchanged.
struct DataParallel {
    let communicator: any Communicator

    var isDistributed: Bool { communicator.size > 1 }

    /// This rank's offset in the rank-major global batch, and the batch's rows.
    func rowLayout(localCount: Int) -> (offset: Int, total: Int) {
        let counts = communicator.allGather([Double(localCount)]).map { Int($0) }
        return (counts[..<communicator.rank].reduce(0, +), counts.reduce(0, +))
    }

    /// The epoch's minibatches as this rank's local row indices: the global permutation `order`
    /// (of `total` rows) cut into `minibatchSize` pieces, each keeping the rows in `offset ..< offset + count`.
    static func localMinibatches(order: [Int], minibatchSize: Int, offset: Int, count: Int) -> [[Int]] {
        stride(from: 0, to: order.count, by: minibatchSize).map { start in
            order[start..<min(start + minibatchSize, order.count)].compactMap { g in
                g >= offset && g < offset + count ? g - offset : nil
            }
        }
    }

    /// `gradients` summed over ranks in rank order (every trainable parameter of `model`, in its
    /// declaration order, in one flat buffer: one collective per minibatch).
    func summed(_ gradients: Gradients, model: Module) -> Gradients {
        guard isDistributed else { return gradients }
        let params = model.trainableParameters()
        var flat: [Float] = []
        flat.reserveCapacity(params.reduce(0) { $0 + $1.parameter.value.count })
        for (name, p) in params {
            if let g = gradients[name] { flat += g.scalars } else { flat += [Float](repeating: 0, count: p.value.count) }
        }
        let total = communicator.sumInRankOrder(flat)
        var tensors: [String: Tensor] = [:], start = 0
        for (name, p) in params {
            let n = p.value.count
            tensors[name] = Tensor(Array(total[start..<(start + n)]), shape: p.value.shape)
            start += n
        }
        return Gradients(names: params.map(\.name), tensors: tensors)
    }

    /// Advantages standardised with the mean and standard deviation of all ranks' advantages (or of
    /// each group's, e.g. each task's), the same formula as `normalizeAdvantages` on the global batch.
    func normalized(_ a: [Float], groups: [Int]?, groupCount: Int, eps: Float = 1e-8) -> [Float] {
        let g = groupCount > 0 && groups != nil ? groupCount : 1
        func group(_ i: Int) -> Int { groups.map { min(max($0[i], 0), g - 1) } ?? 0 }
        var sums = [Double](repeating: 0, count: 2 * g)
        for (i, v) in a.enumerated() { sums[group(i)] += Double(v); sums[g + group(i)] += 1 }
        sums = communicator.sumInRankOrder(sums)
        let means = (0..<g).map { sums[g + $0] > 0 ? sums[$0] / sums[g + $0] : 0 }
        var squares = [Double](repeating: 0, count: g)
        for (i, v) in a.enumerated() { let d = Double(v) - means[group(i)]; squares[group(i)] += d * d }
        squares = communicator.sumInRankOrder(squares)
        return a.indices.map { i in
            let k = group(i), n = sums[g + k]
            guard n > 1 else { return 0 }  // one value has no spread: as `normalizeAdvantages`
            let std = (squares[k] / n).squareRoot()
            return Float((Double(a[i]) - means[k]) / (std + Double(eps)))
        }
    }

    /// The explained variance of all ranks' value predictions, from summed moments.
    func explainedVariance(predicted: [Float], targets: [Float]) -> Double {
        var m = [Double](repeating: 0, count: 5)
        for (p, t) in zip(predicted, targets) {
            let (t, r) = (Double(t), Double(t) - Double(p))
            m[0] += 1; m[1] += t; m[2] += t * t; m[3] += r; m[4] += r * r
        }
        m = communicator.sumInRankOrder(m)
        guard m[0] > 1 else { return .nan }
        let vt = m[2] / m[0] - (m[1] / m[0]) * (m[1] / m[0])
        let vr = m[4] / m[0] - (m[3] / m[0]) * (m[3] / m[0])
        return vt > 0 ? 1 - vr / vt : .nan
    }

    /// The rollout statistics of all ranks' environments (sums, and the decision-weighted mean σ).
    func merged(_ s: RolloutStatistics, taskCount: Int) -> RolloutStatistics {
        guard isDistributed else { return s }
        let t = max(taskCount, 1)
        var v: [Double] = [Double(s.environmentSteps), Double(s.decisions), Double(s.episodesFinished), Double(s.successes),
                           s.returnSum, s.lengthSum, Double(s.nonFiniteValues),
                           (s.meanSigma ?? 0) * Double(s.decisions), s.meanSigma == nil ? 0 : Double(s.decisions)]
        v += (0..<t).map { Double(s.taskEpisodes[$0] ?? 0) } + (0..<t).map { Double(s.taskSuccesses[$0] ?? 0) }
        v = communicator.sumInRankOrder(v)
        var out = RolloutStatistics()
        (out.environmentSteps, out.decisions, out.episodesFinished, out.successes) = (Int(v[0]), Int(v[1]), Int(v[2]), Int(v[3]))
        (out.returnSum, out.lengthSum, out.nonFiniteValues) = (v[4], v[5], Int(v[6]))
        out.meanSigma = v[8] > 0 ? v[7] / v[8] : nil
        for k in 0..<t where v[9 + k] > 0 {
            out.taskEpisodes[k] = Int(v[9 + k])
            out.taskSuccesses[k] = Int(v[9 + t + k])
        }
        return out
    }

    /// Whether every rank holds the same bits in `model`'s parameters (every rank takes the same
    /// steps from the same start, so they must; ranks on different CPUs or builds may not).
    func parametersAgree(_ model: Module) -> Bool {
        guard isDistributed else { return true }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over the parameters' bit patterns
        for (_, p) in model.namedParameters() {
            p.value.withUnsafeBufferPointer { b in
                for v in b { hash = (hash ^ UInt64(v.bitPattern)) &* 0x0000_0100_0000_01B3 }
            }
        }
        let mine = [Double(hash >> 32), Double(hash & 0xFFFF_FFFF)]
        let all = communicator.allGather(mine)
        return stride(from: 0, to: all.count, by: 2).allSatisfy { all[$0] == mine[0] && all[$0 + 1] == mine[1] }
    }

    /// The largest of every rank's `value`.
    func maximum(_ value: Double) -> Double {
        guard isDistributed else { return value }
        return communicator.allGather([value]).max() ?? value
    }
}
