import FlowTuneCLI
import FlowPolicy

/// GEMM floating-point operations of the W2/W3 updates, counted from the layer shapes (a linear map
/// of `rows × in → out` is `2·rows·in·out` FLOPs), for the "fraction of the SGEMM rate" figure of
/// `bench compare`. Training counts 3× the forward GEMMs (forward, input gradient, weight gradient),
/// the usual estimate; elementwise work is not counted, so the figure measures how close the whole
/// update comes to running at GEMM speed.
enum WorkloadFLOPs {
    /// Forward GEMM FLOPs of one pass: `observationRows` rows through the encoder and the FiLM
    /// observation projections, `rows` rows through the velocity network, `noiseRows` rows through
    /// the noise network (its first layer's observation part on `observationRows`), and one row per
    /// distinct flow time through the time MLP and the FiLM time
    /// projections — at most `K` (grid times), since the updates compute those once per distinct
    /// time (`FlowPolicy.distinctTimeFeatures`). The peers compute them per row; this counts the
    /// GEMMs FlowTune executes.
    static func forward(_ c: FlowPolicyConfig, observationRows: Int, rows: Int, noiseRows: Int) -> Double {
        func linear(_ r: Int, _ i: Int, _ o: Int) -> Double { 2 * Double(r) * Double(i) * Double(o) }
        let f = c.encoderWidths.last!, t = c.timeEmbeddingDim, w = c.velocityWidth, hd = c.chunkWidth
        var total = 0.0
        var width = c.observationDim
        for e in c.encoderWidths { total += linear(observationRows, width, e); width = e }
        total += Double(c.velocityDepth) * linear(observationRows, f, 2 * w)
        let timeRows = min(rows, c.denoisingSteps)
        total += 2 * linear(timeRows, t, t)
        total += linear(rows, hd, w) + linear(rows, w, hd)
        total += Double(c.velocityDepth) * (linear(rows, w, w) + linear(timeRows, t, 2 * w))
        if let n = c.noiseNetwork {
            // First layer in parts (NoiseNetwork.sigma(features:…)): W_f·f per observation row, W_τ·τ per distinct time.
            let first = n.widths[0]
            total += linear(observationRows, f, first) + linear(min(noiseRows, c.denoisingSteps), t, first)
            for (a, b) in zip(n.widths, n.widths.dropFirst() + [hd]) { total += linear(noiseRows, a, b) }
        }
        return total
    }

    /// Training GEMM FLOPs of one call of a W2/W3 workload (one epoch); nil for W1/W4.
    static func training(_ w: CompareWorkload, config c: FlowPolicyConfig) -> Double? {
        let mb = w.batch, minibatches = Double(CompareWorkload.rollout) / Double(w.batch)
        let perMinibatch: Double
        switch w.kind {
        case .ppoSDE: perMinibatch = forward(c, observationRows: mb, rows: mb, noiseRows: 0)
        case .ppoNoise:
            let r = mb * c.denoisingSteps
            perMinibatch = forward(c, observationRows: mb, rows: r, noiseRows: r)
        case .fpo: perMinibatch = forward(c, observationRows: mb, rows: mb * CompareWorkload.pairs, noiseRows: 0)
        default: return nil
        }
        return 3 * perMinibatch * minibatches
    }
}
