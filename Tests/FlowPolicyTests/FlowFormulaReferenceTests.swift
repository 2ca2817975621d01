import FlowNN
import FlowPolicy
import FlowTestSupport
import Testing

/// Every sampler, log-density and CFM formula against the reference vectors (all cases).
@Suite struct FlowFormulaReferenceTests {
    @Test func flowSDEStepMatchesReferenceVectorsForAllCases() throws {
        let cases = try ReferenceVectors.objects("flow_sde_step")
        #expect(cases.count >= 19)
        for c in cases {
            let k = Int(try c.double("K")), step = Int(try c.double("k"))
            let grid = TimeGrid(steps: k)
            let t = grid.t(step)
            #expect(close(t, Float(try c.double("t"))))
            #expect(close(grid.dt, Float(try c.double("dt"))))
            let sigma = FlowSDE.sigma(t: t, noiseLevel: Float(try c.double("noise_level")), steps: k)
            #expect(close(sigma, Float(try c.double("sigma_t"))), "σ_t K=\(k) k=\(step)")
            let rows = try c.matrix("x"), shape = [rows.count, rows[0].count]
            let x = Tensor(rows.flatMap { $0 }, shape: shape)
            let v = Tensor(try c.matrix("v").flatMap { $0 }, shape: shape)
            let z = Tensor(try c.matrix("z").flatMap { $0 }, shape: shape)
            let (mean, std) = FlowSDE.moments(x: x, v: v, t: t, dt: grid.dt, sigma: sigma)
            #expect(allClose(mean.scalars, try c.matrix("mean").flatMap { $0 }), "mean K=\(k) k=\(step)")
            #expect(close(std, Float(try c.double("std"))))
            // The per-row form used by the samplers agrees with the scalar form.
            let (rowMean, rowStd) = FlowSDE.moments(x: x, v: v, t: [Float](repeating: t, count: shape[0]), dt: grid.dt,
                                                    sigma: [Float](repeating: sigma, count: shape[0]))
            #expect(rowMean.scalars == mean.scalars)
            #expect(rowStd.scalars.allSatisfy { $0 == std })
            let next = mean + z * std
            #expect(allClose(next.scalars, try c.matrix("x_next").flatMap { $0 }))
            let logp = GaussianLogDensity.elementwise(next, mean: mean, std: Tensor(std)).sum().item
            #expect(close(logp, Float(try c.double("log_prob_x_next_sum")), rtol: 1e-4, atol: 1e-4), "log-density K=\(k) k=\(step)")
        }
    }

    /// The reference writes the clamped step in the data and noise estimates (docs/algorithms.md §3.4);
    /// FlowTune substitutes the clamped velocity into the unchanged step: both must agree.
    @Test func clampedFlowSDEAndODEStepsMatchReferenceVectors() throws {
        let cases = try ReferenceVectors.objects("flow_sde_step_clamped")
        #expect(cases.count >= 5)
        for c in cases {
            let k = Int(try c.double("K")), step = Int(try c.double("k"))
            let grid = TimeGrid(steps: k), t = grid.t(step), bound = Float(try c.double("bound"))
            let sigma = FlowSDE.sigma(t: t, noiseLevel: Float(try c.double("noise_level")), steps: k)
            let rows = try c.matrix("x"), shape = [rows.count, rows[0].count]
            let x = Tensor(rows.flatMap { $0 }, shape: shape)
            let v = DenoisedClamp.velocity(x: x, v: Tensor(try c.matrix("v").flatMap { $0 }, shape: shape), t: Tensor(t), bound: bound)
            let z = Tensor(try c.matrix("z").flatMap { $0 }, shape: shape)
            let (mean, std) = FlowSDE.moments(x: x, v: v, t: t, dt: grid.dt, sigma: sigma)
            #expect(allClose(mean.scalars, try c.matrix("mean").flatMap { $0 }), "mean K=\(k) k=\(step)")
            #expect(close(std, Float(try c.double("std"))))
            let next = mean + z * std
            #expect(allClose(next.scalars, try c.matrix("x_next").flatMap { $0 }))
            let logp = GaussianLogDensity.elementwise(next, mean: mean, std: Tensor(std)).sum().item
            #expect(close(logp, Float(try c.double("log_prob_x_next_sum")), rtol: 1e-4, atol: 1e-4), "log-density K=\(k) k=\(step)")
            #expect(allClose(ODE.step(x: x, v: v, dt: grid.dt).scalars, try c.matrix("ode_next").flatMap { $0 }), "ODE K=\(k) k=\(step)")
        }
    }

    @Test func sdeStepWithZeroSigmaIsExactlyTheODEStep() throws {
        for c in try ReferenceVectors.objects("flow_sde_step") {
            let rows = try c.matrix("x"), shape = [rows.count, rows[0].count]
            let x = Tensor(rows.flatMap { $0 }, shape: shape), v = Tensor(try c.matrix("v").flatMap { $0 }, shape: shape)
            let grid = TimeGrid(steps: Int(try c.double("K")))
            let t = grid.t(Int(try c.double("k")))
            let (mean, std) = FlowSDE.moments(x: x, v: v, t: t, dt: grid.dt, sigma: 0)
            #expect(mean.scalars == ODE.step(x: x, v: v, dt: grid.dt).scalars)
            #expect(std == 0)
            let (rowMean, _) = FlowSDE.moments(x: x, v: v, t: [t, t], dt: grid.dt, sigma: [0, 0])
            #expect(rowMean.scalars == ODE.step(x: x, v: v, dt: grid.dt).scalars)
        }
    }

    @Test func odeStepMatchesReferenceVector() throws {
        let c = try ReferenceVectors.objects("ode_step")[0]
        let rows = try c.matrix("x"), shape = [rows.count, rows[0].count]
        let next = ODE.step(x: Tensor(rows.flatMap { $0 }, shape: shape),
                            v: Tensor(try c.matrix("v").flatMap { $0 }, shape: shape), dt: Float(try c.double("dt")))
        #expect(allClose(next.scalars, try c.matrix("x_next").flatMap { $0 }))
        let grid = TimeGrid(steps: Int(try c.double("K")))
        #expect(close(grid.dt, Float(try c.double("dt"))))
    }

    @Test func flowNoiseSigmaMatchesReferenceVectorAndStaysInBounds() throws {
        let c = try ReferenceVectors.objects("flow_noise_sigma")[0]
        let scale = BoundedNoiseScale(sigmaMin: Float(try c.double("sigma_min")), sigmaMax: Float(try c.double("sigma_max")))
        let raw = Tensor(try c.vector("raw"))
        #expect(allClose(scale.logVariance(raw: raw).scalars, try c.vector("logvar")))
        let sigma = scale.sigma(raw: raw)
        #expect(allClose(sigma.scalars, try c.vector("sigma")))
        #expect(allClose(GaussianLogDensity.entropy(std: sigma).scalars, try c.vector("entropy_per_dim")))
        // Extreme raw outputs stay inside [σ_min, σ_max] and finite.
        let extreme = scale.sigma(raw: Tensor([-1e30, -50, 0, 50, 1e30, .infinity, -.infinity])).scalars
        #expect(extreme.allSatisfy { $0 >= scale.sigmaMin * 0.9999 && $0 <= scale.sigmaMax * 1.0001 })
    }

    @Test func flowNoiseChainLogProbabilityMatchesReferenceForEveryAggregation() throws {
        let c = try ReferenceVectors.objects("flow_noise_chain")[0]
        let k = Int(try c.double("K"))
        let xs = try c.matrix("x"), means = try c.matrix("mean"), sigmas = try c.matrix("sigma")
        let d = xs[0].count
        // Per-element transition log-densities, laid out as [B=1, S=K, H·D=d].
        var terms: [Tensor] = []
        for s in 0..<k {
            terms.append(GaussianLogDensity.elementwise(Tensor(xs[s + 1], shape: [1, d]), mean: Tensor(means[s], shape: [1, d]),
                                                        std: Tensor(sigmas[s], shape: [1, d])))
        }
        let transitionSums = terms.map { $0.sum().item }
        #expect(allClose(transitionSums, try c.vector("log_prob_transitions"), rtol: 1e-4, atol: 1e-4))
        let perElement = Tensor.concat(terms.map { $0.reshaped([1, 1, d]) }, axis: 1)
        let x0 = Tensor(xs[0], shape: [1, d])
        #expect(close(GaussianLogDensity.standardNormal(x0).sum().item, Float(try c.double("log_prob_initial"))))
        func agg(_ a: LogDensityAggregation) -> Float { a.aggregate(perElement, initialNoise: x0, chunkLength: 1, actionDim: d).item }
        #expect(close(agg(.init(overSteps: .sum, includeInitialNoise: false)), Float(try c.double("log_prob_transitions_sum")), atol: 1e-4))
        #expect(close(agg(.init(overSteps: .sum, includeInitialNoise: true)), Float(try c.double("log_prob_sum_all")), atol: 1e-4))
        #expect(close(agg(.init(overSteps: .mean, includeInitialNoise: true)), Float(try c.double("log_prob_mean_over_K_plus_1")), atol: 1e-4))
        // Mean over dims is the sum divided by the number of dims.
        let meanDims = agg(.init(overSteps: .sum, overDims: .mean))
        #expect(close(meanDims * Float(d), Float(try c.double("log_prob_transitions_sum")), atol: 1e-4))
    }

    @Test func cfmLossMatchesReferenceVector() throws {
        let c = try ReferenceVectors.objects("cfm_loss")[0]
        let rows = try c.matrix("a"), shape = [rows.count, rows[0].count]
        let a = Tensor(rows.flatMap { $0 }, shape: shape), eps = Tensor(try c.matrix("eps").flatMap { $0 }, shape: shape)
        let t = Tensor(Float(try c.double("t")))
        let xt = ConditionalFlowMatching.interpolate(action: a, noise: eps, t: t)
        #expect(allClose(xt.scalars, try c.matrix("x_t").flatMap { $0 }))
        #expect(allClose(ConditionalFlowMatching.targetVelocity(action: a, noise: eps).scalars, try c.matrix("target").flatMap { $0 }))
        let v = Tensor(try c.matrix("v_pred").flatMap { $0 }, shape: shape)
        let perRow = ConditionalFlowMatching.perRowLoss(predicted: v, action: a, noise: eps)
        #expect(close(perRow.mean().item, Float(try c.double("loss_mean_over_elements"))))
        #expect(close(perRow.sum().item * Float(shape[1]), Float(try c.double("loss_sum_over_elements")), rtol: 1e-4))
    }

    @Test func betaTimeSamplingFollowsPiZeroAndStaysInsideTheUnitInterval() {
        var rng = RandomGenerator(seed: 4)
        let ts = ConditionalFlowMatching.TimeSampling.beta.sample(50_000, rng: &rng)
        #expect(ts.allSatisfy { $0 >= 0.001 && $0 <= 1 })
        let mean = ts.reduce(0, +) / Float(ts.count)
        #expect(abs(mean - (0.999 * 0.6 + 0.001)) < 0.005)  // E[Beta(1.5, 1)] = 0.6
        let uniform = ConditionalFlowMatching.TimeSampling.uniform.sample(50_000, rng: &rng)
        #expect(abs(uniform.reduce(0, +) / 50_000 - 0.5) < 0.005)
    }
}
