import FlowEnvs
import FlowNN
import FlowPolicy

/// Collects one iteration of experience as chunk-level decisions (docs/algorithms.md §4.4).
///
/// Every environment acts on its own clock: it samples a new chunk when its current chunk is used up
/// or its episode ended. An episode that ends inside a chunk ends the decision there — the rest of
/// the chunk is never executed, and because the decision is closed before the environment's next
/// step, the auto-reset episode's rewards never enter it. Decisions sampled at the same step are
/// sampled together in one batch.
///
/// `gae` mode: every environment is reset at the start of the iteration (seeds derived from the run
/// seed and the iteration, so a resumed run sees the same episodes) and stepped `stepsPerIteration`
/// times; decisions cut by the iteration's end bootstrap from the critic. `grpo` mode: environments
/// are reset in groups of `groupSize` from one seed and each runs exactly one episode.
///
/// **Pipeline** (docs/architecture.md, "The rollout pipeline"). A `PipelinedVectorEnv` (the Python
/// bridge) is stepped in `parts` whose steps are in flight while the next part's chunks are sampled,
/// so the simulators and the policy work at the same time; other environments form one part and step
/// synchronously. Every decision draws its noise from its own generator (split by environment and
/// the environment's decision count), and parts are taken in environment order, so the rollout is
/// the same bits whatever the number of parts or workers.
struct RolloutCollector {
    let config: RLConfig
    /// The run's seed, from which the reset seeds derive.
    let seed: UInt64
    let policy: FlowPolicy
    let critic: Critic?
    let env: any VectorEnv
    /// How many parts a pipelined environment is stepped in (fewer if it has fewer workers).
    var parts: Int
    /// The task of each environment for this iteration (`rl.task_allocation: success`); nil keeps the
    /// environment's own assignment.
    var tasks: [Int]? = nil
    /// Data-parallel jobs (docs/distributed.md): this rank's environments are environments
    /// `environmentOffset ..< environmentOffset + numEnvs` of all ranks' `totalEnvironments`, and take
    /// their reset seeds and noise streams, so N ranks of E environments collect what one process of
    /// N·E environments would.
    var environmentOffset = 0
    var totalEnvironments: Int? = nil

    /// Reset seeds of one iteration's environments: a block of consecutive seeds starting at a
    /// 64-bit value hashed from the run seed and the iteration, so training never replays the
    /// evaluation episodes (`Evaluator` uses the small range `1_000_000 + i`); blocks that would
    /// overlap that range are moved past it. With `groupSize > 1` (GRPO) each group shares a seed.
    static func resetSeeds(runSeed: UInt64, iteration: Int, numEnvs n: Int, groupSize: Int) -> [UInt64] {
        var stream = RandomGenerator(seed: runSeed).split(key: 0x5EED_0000 &+ UInt64(iteration))
        var base = stream.next()
        let reserved: ClosedRange<UInt64> = 0...(1 << 32)  // evaluation and collection seeds live down here
        if reserved.contains(base) || base > UInt64.max - UInt64(n) { base = (1 << 33) &+ (base >> 2) }
        return (0..<n).map { base &+ UInt64($0 / groupSize) }
    }

    /// Environment steps of one GAE iteration: the configured number, but at least the time limit.
    static func stepsPerIteration(_ configured: Int, timeLimit: Int) -> Int { max(configured, timeLimit) }

    func collect(iteration: Int, rng: inout RandomGenerator) throws -> (Rollout, RolloutStatistics) {
        let n = env.numEnvs, od = env.spec.observationDim, ad = env.spec.actionDim
        let h = policy.config.chunkLength
        let grpo = config.advantageEstimator == .grpo
        let seeds = Array(Self.resetSeeds(runSeed: seed, iteration: iteration, numEnvs: totalEnvironments ?? n,
                                          groupSize: grpo ? config.grpoGroupSize : 1)[environmentOffset..<(environmentOffset + n)])
        if let tasks { try env.reset(seeds: seeds, tasks: tasks) } else { try env.reset(seeds: seeds) }

        let buffers = env.buffers
        let sampler = ChunkSampler(mode: config.samplingMode)
        let usesFPO = config.ratioFamily == .fpo
        let heads = critic?.heads.count ?? 1
        var latent = config.latentCorrelation.map { CorrelatedLatentNoise(rho: $0, environments: n, width: h * ad) }
        let creditAssignment = usesFPO && config.fpo.creditAssignment
        var stepObservations: [Float] = [], stepRewards: [Float] = [], executed: [Int] = []
        var stats = RolloutStatistics()
        // Decision d of environment i draws from environmentStreams[i].split(key: d): no decision's
        // noise depends on which environments are sampled with it (docs/architecture.md, "The rollout pipeline").
        let decisionStreams = rng.split(key: 0xDEC1_5105)
        _ = rng.next()
        let environmentStreams = (0..<n).map { decisionStreams.split(key: UInt64(environmentOffset + $0)) }
        var decisionsOfEnv = [UInt64](repeating: 0, count: n)
        var chunks = [Float](repeating: 0, count: n * h * ad)
        var position = [Int](repeating: h, count: n)
        var open = [Int](repeating: -1, count: n)          // decision being executed per env
        var pendingRewards = [[Float]](repeating: [], count: n)
        var lastClosed = [Int](repeating: -1, count: n)    // decision waiting for its successor's value
        var episodeReturn = [Float](repeating: 0, count: n), episodeLength = [Int](repeating: 0, count: n)
        var active = [Bool](repeating: true, count: n)     // GRPO: one episode per env
        var actions = [Float](repeating: 0, count: n * ad)

        var observations: [Float] = [], tasks: [Int] = [], values: [Float] = [], envOf: [Int] = []  // values: [N·E]
        var rewards: [Float] = [], discounts: [Float] = [], bootstrap: [Float] = [], ends: [Bool] = []
        var episodeOfDecision: [Int] = [], episodeReturns: [Float] = [], episodeGroup: [Int] = []
        var currentEpisode = [Int](repeating: -1, count: n)
        var recorder: any DecisionRecorder = usesFPO ? FPOPairRecorder(settings: config.fpo) : ChainRecorder()
        var features: [Tensor] = [], sigmas: [Double] = []
        // Decisions whose bootstrap value needs the critic at an observation that is not a decision's.
        var bootstrapRequests: [(decision: Int, observation: [Float], task: Int)] = []

        func closeDecision(_ i: Int, end: Bool, bootstrapValue: Float?, bootstrapObservation: [Float]?) {
            let d = open[i]
            let (r, g) = config.rewardDiscounting.chunkReward(pendingRewards[i], gamma: Float(config.gamma))
            rewards[d] = r
            discounts[d] = g
            ends[d] = end
            if creditAssignment {
                executed[d] = pendingRewards[i].count
                for (k, reward) in pendingRewards[i].enumerated() { stepRewards[d * h + k] = reward }
            }
            if let v = bootstrapValue { for e in 0..<heads { bootstrap[d * heads + e] = v } }
            if let o = bootstrapObservation { bootstrapRequests.append((d, o, tasks[d])) }
            lastClosed[i] = (end || bootstrapValue != nil || bootstrapObservation != nil) ? -1 : d
            pendingRewards[i].removeAll(keepingCapacity: true)
            open[i] = -1
            position[i] = h
        }

        // Every episode started at this iteration's reset must be able to finish: an iteration shorter
        // than the time limit would only ever see the episodes that succeed early.
        let steps = Self.stepsPerIteration(config.stepsPerIteration(chunkLength: h), timeLimit: env.spec.maxEpisodeSteps)

        // Samples the chunks that the part's environments need and writes the part's action rows.
        func prepare(_ part: Range<Int>) throws {
            let need = part.filter { active[$0] && position[$0] == h }
            if !need.isEmpty {
                var obs = [Float](repeating: 0, count: need.count * od)
                for (r, i) in need.enumerated() {
                    let row = buffers.observation(ofEnv: i)
                    for j in 0..<od {
                        obs[r * od + j] = row[j]
                        if !row[j].isFinite { stats.nonFiniteValues += 1 }
                    }
                }
                let needTasks = need.map { Int(buffers.taskIndices[$0]) }
                let obsTensor = Tensor(obs, shape: [need.count, od])
                var rowRNGs = need.map { i in
                    defer { decisionsOfEnv[i] += 1 }
                    return environmentStreams[i].split(key: decisionsOfEnv[i])
                }
                let initialNoise = latent?.next(for: need, rowGenerators: &rowRNGs)
                let sample = try sampler.sample(policy, observations: obsTensor, taskIndices: needTasks,
                                                initialNoise: initialNoise, rowGenerators: &rowRNGs)
                // Every head's value per decision, decision-major `[b·E]`.
                let v: [Float]
                if let critic {
                    let input = try critic.inputs(policy: policy, observations: obsTensor, taskIndices: needTasks,
                                                  velocityFeatures: sample.meanVelocityFeatures)
                    v = critic.allHeads(input).transposed().scalars
                } else {
                    v = [Float](repeating: 0, count: need.count)
                }
                recorder.record(sample, policy: policy, rowGenerators: &rowRNGs)
                features.append(sample.meanVelocityFeatures)
                if let std = sample.std {
                    // One mean σ per decision, so the average does not depend on how decisions were batched.
                    let perRow = std.scalars.count / need.count
                    std.withUnsafeBufferPointer { p in
                        for r in 0..<need.count {
                            var sum = 0.0
                            for j in 0..<perRow { sum += Double(p[r * perRow + j]) }
                            sigmas.append(sum / Double(perRow))
                        }
                    }
                }
                sample.actions.withUnsafeBufferPointer { a in
                    for (r, i) in need.enumerated() {
                        let d = rewards.count
                        // The previous decision of this env continues into this one: its bootstrap is our value.
                        let rowValues = v[(r * heads)..<((r + 1) * heads)]
                        if lastClosed[i] >= 0 {
                            for e in 0..<heads { bootstrap[lastClosed[i] * heads + e] = rowValues[rowValues.startIndex + e] }
                            lastClosed[i] = -1
                        }
                        observations += obs[(r * od)..<((r + 1) * od)]
                        tasks.append(needTasks[r]); values += rowValues; envOf.append(i)
                        rewards.append(0); discounts.append(0); ends.append(false)
                        bootstrap += [Float](repeating: 0, count: heads)
                        if creditAssignment {
                            executed.append(0)
                            stepRewards += [Float](repeating: 0, count: h)
                            stepObservations += [Float](repeating: 0, count: h * od)
                        }
                        if currentEpisode[i] < 0 {
                            currentEpisode[i] = episodeReturns.count
                            episodeReturns.append(0)
                            episodeGroup.append(i / config.grpoGroupSize)
                        }
                        episodeOfDecision.append(currentEpisode[i])
                        open[i] = d
                        for k in 0..<(h * ad) { chunks[i * h * ad + k] = a[r * h * ad + k] }
                        position[i] = 0
                    }
                }
                stats.decisions += need.count
            }
            for i in part {
                for j in 0..<ad { actions[i * ad + j] = active[i] ? chunks[(i * h + position[i]) * ad + j] : 0 }
            }
            if creditAssignment {
                // The observation each executed action step acts on (step-level values, §4.3).
                for i in part where active[i] && open[i] >= 0 {
                    let base = (open[i] * h + position[i]) * od
                    let row = buffers.observation(ofEnv: i)
                    for j in 0..<od { stepObservations[base + j] = row[j] }
                }
            }
        }

        // Reads the part's step: rewards into the open decisions, episode ends, chunk ends.
        func record(_ part: Range<Int>) {
            for i in part where active[i] {
                stats.environmentSteps += 1
                let r = buffers.rewards[i]
                if !r.isFinite { stats.nonFiniteValues += 1 }
                pendingRewards[i].append(r)
                position[i] += 1
                episodeReturn[i] += r
                episodeLength[i] += 1
                if buffers.isDone(i) {
                    stats.episodesFinished += 1
                    if buffers.success[i] { stats.successes += 1 }
                    if open[i] >= 0 { stats.countEpisode(task: tasks[open[i]], success: buffers.success[i]) }
                    stats.returnSum += Double(episodeReturn[i])
                    stats.lengthSum += Double(episodeLength[i])
                    episodeReturns[currentEpisode[i]] = episodeReturn[i]
                    latent?.endEpisode(of: i)
                    currentEpisode[i] = -1
                    episodeReturn[i] = 0
                    episodeLength[i] = 0
                    if buffers.terminated[i] || grpo {
                        closeDecision(i, end: true, bootstrapValue: 0, bootstrapObservation: nil)
                    } else {
                        // Time limit: bootstrap from the value of the final observation.
                        closeDecision(i, end: true, bootstrapValue: nil, bootstrapObservation: Array(buffers.finalObservation(ofEnv: i)))
                    }
                    if grpo { active[i] = false }
                } else if position[i] == h {
                    closeDecision(i, end: false, bootstrapValue: nil, bootstrapObservation: nil)
                }
            }
        }

        // Parts are stepped in turn, in environment order: part k's step is in flight while parts
        // k+1, k+2, … are read and sampled, and it is read before part k+1's next step. Per step, the
        // decisions, episodes and statistics are therefore appended in environment order, as with
        // one part, and each decision's numbers do not depend on its batch (its own generator).
        let pipelined = env as? PipelinedVectorEnv
        let stepParts = pipelined?.stepParts(parts) ?? [0..<n]
        var stepsTaken = [Int](repeating: 0, count: stepParts.count)
        var inFlight = [Bool](repeating: false, count: stepParts.count)
        func running(_ k: Int) -> Bool { grpo ? stepParts[k].contains { active[$0] } : stepsTaken[k] < steps }
        func begin(_ k: Int) throws {
            try prepare(stepParts[k])
            let part = stepParts[k]
            if let pipelined {
                try actions.withUnsafeBufferPointer {
                    try pipelined.beginStep(actions: UnsafeBufferPointer(rebasing: $0[(part.lowerBound * ad)..<(part.upperBound * ad)]),
                                            environments: part)
                }
            } else {
                try env.step(actions: actions)  // one part: every environment
            }
            inFlight[k] = true
        }
        do {
            for k in stepParts.indices where running(k) { try begin(k) }
            while inFlight.contains(true) {
                for k in stepParts.indices where inFlight[k] {
                    try pipelined?.finishStep(environments: stepParts[k])
                    inFlight[k] = false
                    stepsTaken[k] += 1
                    record(stepParts[k])
                    if running(k) { try begin(k) }
                }
            }
        } catch {
            for k in stepParts.indices where inFlight[k] { try? pipelined?.finishStep(environments: stepParts[k]) }
            throw error
        }
        // The iteration ends: cut open decisions, and decisions still waiting for a successor.
        for i in 0..<n {
            if open[i] >= 0 {
                closeDecision(i, end: true, bootstrapValue: nil, bootstrapObservation: Array(buffers.observation(ofEnv: i)))
            } else if lastClosed[i] >= 0 {
                ends[lastClosed[i]] = true
                bootstrapRequests.append((lastClosed[i], Array(buffers.observation(ofEnv: i)), Int(buffers.taskIndices[i])))
                lastClosed[i] = -1
            }
        }
        if let critic, !bootstrapRequests.isEmpty {
            let m = bootstrapRequests.count
            let obs = Tensor(bootstrapRequests.flatMap(\.observation), shape: [m, od])
            let t = bootstrapRequests.map(\.task)
            var velocity: Tensor? = nil
            if critic.placement == .velocityFeatures {
                var frozen = rng.split(key: 0xB007)  // features of a deterministic ODE pass; does not advance `rng`
                velocity = try ChunkSampler(mode: .ode).sample(policy, observations: obs, taskIndices: t, rng: &frozen).meanVelocityFeatures
            }
            let v = critic.allHeads(try critic.inputs(policy: policy, observations: obs, taskIndices: t, velocityFeatures: velocity)).transposed().scalars
            for (k, req) in bootstrapRequests.enumerated() {
                for e in 0..<heads { bootstrap[req.decision * heads + e] = v[k * heads + e] }
            }
        }
        stats.meanSigma = sigmas.isEmpty ? nil : sigmas.reduce(0, +) / Double(sigmas.count)

        var rollout = Rollout(
            observations: observations, taskIndices: tasks, record: nil, logDensity: nil, fpo: nil,
            velocityFeatures: Tensor.concat(features, axis: 0), valueHeads: heads,
            headValues: values, headBootstrapValues: bootstrap, rewards: rewards, discounts: discounts,
            sequenceEnds: ends, environments: envOf,
            steps: creditAssignment ? ExecutedSteps(chunkLength: h, observations: stepObservations, rewards: stepRewards, executed: executed) : nil)
        recorder.finish(into: &rollout)
        if grpo { rollout.episodes = RolloutEpisodes(ofDecision: episodeOfDecision, returns: episodeReturns, group: episodeGroup) }
        return (rollout, stats)
    }
}
