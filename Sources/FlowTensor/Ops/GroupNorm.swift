extension Tensor {
    /// Group normalisation (Wu & He, 2018) of channels-last activations `[N, …, C]`: the `C` channels
    /// are split into `groups` consecutive groups, and each sample's group is normalised over all its
    /// positions and channels, `(x − mean)/sqrt(var + eps)` (biased variance, as in PyTorch). No
    /// affine part: multiply and add per-channel `[C]` parameters after it, as after `layerNorm`.
    /// It does not mix samples, so it behaves the same at batch 1 and 1024, unlike batch norm.
    /// Backward as in `layerNorm`, over each group: `dx = (dy − mean(dy) − x̂·mean(dy·x̂)) / sqrt(var + eps)`.
    public func groupNorm(groups: Int, eps: Float = 1e-5) -> Tensor {
        precondition(rank >= 2, "groupNorm needs [batch, …, channels], got \(shape)")
        let c = shape[rank - 1], batch = shape[0]
        precondition(groups >= 1 && c % groups == 0, "groupNorm: \(groups) groups do not divide \(c) channels")
        let perGroup = c / groups
        let positions = count / Swift.max(batch * c, 1)
        let elements = Float(positions * perGroup)
        var invStd = [Float](repeating: 0, count: batch * groups)
        let src = storage.pointer
        // Each sample is visited position by position, whole rows of C channels at a time, with one
        // accumulator per channel (a loop the compiler vectorises without reordering any sum); a
        // group's statistic is then the sum of its channels' accumulators. `ChannelScratch` holds
        // them (`perChannel`) and each channel's group mean and inverse deviation.
        let y = Tensor.filled(shape: shape) { o in
            ChannelScratch.using(channels: c, perGroup: perGroup, elements: elements) { t in
                for n in 0..<batch {
                    let first = n * positions * c
                    t.groupMeans(positions, into: t.meanOf) { at, j in src[first + at + j] }
                    // The groups' variances first, then their inverse deviations in the same place.
                    t.groupMeans(positions, into: t.invOf) { at, j in let d = src[first + at + j] - t.meanOf[j]; return d * d }
                    for g in 0..<groups {
                        let inv = 1 / (t.invOf[g * perGroup] + eps).squareRoot()
                        invStd[n * groups + g] = inv
                        t.fill(t.invOf, group: g, with: inv)
                    }
                    for at in stride(from: first, to: first + positions * c, by: c) {
                        for j in 0..<c { o[at + j] = (src[at + j] - t.meanOf[j]) * t.invOf[j] }
                    }
                }
            }
        }
        let yv = y.detached()
        return Tensor.result(y, input: self) { g in
            let gp = g.storage.pointer, yp = yv.storage.pointer
            return Tensor.filled(shape: yv.shape) { d in
                ChannelScratch.using(channels: c, perGroup: perGroup, elements: elements) { t in
                    for n in 0..<batch {
                        let first = n * positions * c
                        t.groupMeans(positions, into: t.meanOf) { at, j in gp[first + at + j] }
                        t.groupMeans(positions, into: t.meanGYOf) { at, j in gp[first + at + j] * yp[first + at + j] }
                        for k in 0..<groups { t.fill(t.invOf, group: k, with: invStd[n * groups + k]) }
                        for at in stride(from: first, to: first + positions * c, by: c) {
                            for j in 0..<c { d[at + j] = (gp[at + j] - t.meanOf[j] - yp[at + j] * t.meanGYOf[j]) * t.invOf[j] }
                        }
                    }
                }
            }
        }
    }
}

/// Per-channel scratch of `groupNorm`: accumulators and each channel's copy of its group's statistics.
private struct ChannelScratch {
    let channels: Int, perGroup: Int
    let elements: Float
    let perChannel: UnsafeMutablePointer<Float>
    let meanOf: UnsafeMutablePointer<Float>
    let invOf: UnsafeMutablePointer<Float>
    let meanGYOf: UnsafeMutablePointer<Float>

    /// Runs `body` with scratch for `channels` channels, freed after it.
    static func using(channels: Int, perGroup: Int, elements: Float, _ body: (ChannelScratch) -> Void) {
        let scratch = ChannelScratch(channels: channels, perGroup: perGroup, elements: elements)
        defer { scratch.free() }
        body(scratch)
    }

    init(channels: Int, perGroup: Int, elements: Float) {
        (self.channels, self.perGroup, self.elements) = (channels, perGroup, elements)
        perChannel = .allocate(capacity: channels)
        meanOf = .allocate(capacity: channels)
        invOf = .allocate(capacity: channels)
        meanGYOf = .allocate(capacity: channels)
    }

    func free() { perChannel.deallocate(); meanOf.deallocate(); invOf.deallocate(); meanGYOf.deallocate() }

    /// `perChannel[j] = Σ over positions s of term(s·channels, j)`.
    @inline(__always)
    func sum(_ positions: Int, _ term: (Int, Int) -> Float) {
        perChannel.update(repeating: 0, count: channels)
        for s in 0..<positions {
            let at = s * channels
            for j in 0..<channels { perChannel[j] += term(at, j) }
        }
    }

    /// Sets every channel of `values` to its group's mean of `term` over the positions.
    @inline(__always)
    func groupMeans(_ positions: Int, into values: UnsafeMutablePointer<Float>, _ term: (Int, Int) -> Float) {
        sum(positions, term)
        for g in 0..<(channels / perGroup) { fill(values, group: g, with: groupMean(g)) }
    }

    /// Group g's total of `perChannel`, divided by the group's element count.
    func groupMean(_ g: Int) -> Float {
        var total: Float = 0
        for j in (g * perGroup)..<((g + 1) * perGroup) { total += perChannel[j] }
        return total / elements
    }

    func fill(_ values: UnsafeMutablePointer<Float>, group g: Int, with value: Float) {
        values.advanced(by: g * perGroup).update(repeating: value, count: perGroup)
    }
}
