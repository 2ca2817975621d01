import FlowTensor
import Foundation

/// A `VectorEnv` whose environments live in Python worker processes (MetaWorld, gymnasium, …).
///
/// ```swift
/// let env = try PythonBridgeEnv(id: "metaworld/MT10", numEnvs: 20)    // 2 workers × 10 envs
/// try env.reset(seeds: (0..<20).map { UInt64($0) })
/// try env.step(actions: actions)        // all workers step in parallel
/// env.close()                           // workers exit; none outlives the trainer
/// ```
///
/// **Sharding.** Environment i lives in exactly one of `workerCount` workers (contiguous, balanced
/// ranges). `step` sends every worker its rows first and only then reads the replies, so the workers
/// simulate at the same time, one per core by default. As a `PipelinedVectorEnv` the workers can also
/// be stepped in parts (`stepParts`: whole workers each), one part's step in flight while the caller
/// samples another part's actions.
///
/// **Semantics.** As `VectorEnv` prescribes: the worker resets a finished environment in the same
/// step and returns both the final and the new first observation. The seed stream lives here, not in
/// Python: environment i's stream is derived from `reset`'s `seeds[i]` exactly as the built-in tasks
/// derive theirs, and every STEP carries each environment's next episode seed, used by the worker
/// only if that episode ends. So a run is a deterministic function of seeds and actions, whatever the
/// number of workers. Simulators' float64 observations arrive as Float32 (round to nearest).
///
/// **Pixels.** With `EnvironmentOptions.observation` `.pixels` or `.pixelsAndState` the workers
/// also render a camera (MetaWorld's `corner`, `imageSize`²) with every observation, sent as bytes
/// (python/PROTOCOL.md, "Images"), and each row is `[state (pixels+state only)] + frame ÷ 255`
/// with `spec.image` set, exactly as `PixelObservationEnv` makes rows of the built-in tasks. A
/// finished episode's final row shows its last frame, which the worker renders before the reset.
///
/// **Faults.** A worker that crashes, hangs longer than `stepTimeout`, or reports a simulator
/// exception is killed and replaced; the episodes it held end in that step as *truncated* (reward 0,
/// final observation = the last observation received), the replacement starts each of them with its
/// next stream seed, the event is appended to `restarts` and passed to `onWorkerRestart`. The rest of
/// the batch is unaffected. Only when a worker fails `maxConsecutiveRestarts` times in a row does
/// `step` throw `VectorEnvError.workerFailed`.
public final class PythonBridgeEnv: PipelinedVectorEnv {
    /// Settings of the bridge itself (the environment's are in `EnvironmentOptions`).
    public struct Configuration: Sendable {
        /// Worker processes; nil = one per core (never more than `numEnvs`).
        public var workers: Int?
        public var python: PythonRuntime
        /// Seconds a worker may take to import its simulator and build its environments.
        public var startupTimeout: Double
        /// Seconds a worker may take for one RESET or STEP before it counts as hung.
        public var stepTimeout: Double
        /// Give up (throw) after this many restarts of one worker without a successful step between.
        public var maxConsecutiveRestarts: Int
        /// Where restarts are announced (default: one line on stderr).
        public var onWorkerRestart: (@Sendable (WorkerRestart) -> Void)?

        public init(workers: Int? = nil, python: PythonRuntime = PythonRuntime(), startupTimeout: Double = 600,
                    stepTimeout: Double = 60, maxConsecutiveRestarts: Int = 3,
                    onWorkerRestart: (@Sendable (WorkerRestart) -> Void)? = nil) {
            self.workers = workers
            self.python = python
            self.startupTimeout = startupTimeout
            self.stepTimeout = stepTimeout
            self.maxConsecutiveRestarts = maxConsecutiveRestarts
            self.onWorkerRestart = onWorkerRestart
        }

        /// `FLOWTUNE_BRIDGE_WORKERS` when set, else one per core.
        public static var defaultWorkerCount: Int {
            if let s = ProcessInfo.processInfo.environment["FLOWTUNE_BRIDGE_WORKERS"], let n = Int(s), n >= 1 { return n }
            return max(1, ProcessInfo.processInfo.activeProcessorCount)
        }
    }

    /// Options forwarded to the simulator suite (PROTOCOL.md, HELLO).
    public struct EnvironmentOptions: Sendable, Equatable {
        /// The simulator's dense reward instead of FlowTune's sparse success reward (1 on success). For
        /// MetaWorld: the success reward plus the progress of MetaWorld's shaped reward ÷ 10
        /// (python/flowtune_bridge/metaworld_suite.py says why not the raw reward).
        public var denseReward: Bool
        /// A time limit shorter than the simulator's own; nil = its own.
        public var maxEpisodeSteps: Int?
        /// MetaWorld: end an episode (terminated) at its first success, as MetaWorld's evaluation does.
        public var terminateOnSuccess: Bool
        /// MetaWorld: the seed of the 50 goal variations per task (the same in every worker and run).
        public var benchmarkSeed: Int
        public var invalidActionPolicy: InvalidActionPolicy
        /// State vectors, the camera's frames, or both: rows as `PixelObservationEnv` makes them.
        public var observation: ObservationMode
        /// Frames are `imageSize × imageSize` RGB (pixel observations only; within `ImageLayout.sizes`).
        public var imageSize: Int
        /// The simulator's camera that pixel observations show (MetaWorld: `BridgeImage.metaWorldCamera`).
        public var camera: String

        public init(denseReward: Bool = false, maxEpisodeSteps: Int? = nil, terminateOnSuccess: Bool = true,
                    benchmarkSeed: Int = 0, invalidActionPolicy: InvalidActionPolicy = .zeroAndCount,
                    observation: ObservationMode = .state, imageSize: Int = 64, camera: String = BridgeImage.metaWorldCamera) {
            self.denseReward = denseReward
            self.maxEpisodeSteps = maxEpisodeSteps
            self.terminateOnSuccess = terminateOnSuccess
            self.benchmarkSeed = benchmarkSeed
            self.invalidActionPolicy = invalidActionPolicy
            self.observation = observation
            self.imageSize = imageSize
            self.camera = camera
        }

        /// The camera image HELLO asks for (none for state observations).
        public var requestedImages: [BridgeImage] {
            observation == .state ? [] : [BridgeImage(name: camera, size: imageSize)]
        }

        /// The `options` object of HELLO (with `images` only when pixels are asked for, so a state
        /// HELLO is what it was before images existed).
        public var json: [String: Any] {
            var o: [String: Any] = ["reward": denseReward ? "dense" : "sparse", "terminate_on_success": terminateOnSuccess,
                                    "benchmark_seed": benchmarkSeed]
            if let m = maxEpisodeSteps { o["max_episode_steps"] = m }
            if !requestedImages.isEmpty { o["images"] = requestedImages.map(\.json) }
            return o
        }
    }

    /// A worker that was replaced, and the environments whose episodes it ended as truncated.
    public struct WorkerRestart: Sendable, Equatable, CustomStringConvertible {
        public var worker: Int
        public var environments: Range<Int>
        public var reason: String
        public var description: String {
            "simulator worker \(worker) (environments \(environments.lowerBound)..<\(environments.upperBound)) was restarted; "
                + "their episodes ended as truncated. Reason: \(reason)"
        }
    }

    public let spec: EnvSpec
    public let numEnvs: Int
    public let buffers: VectorEnvBuffers
    public let configuration: Configuration
    public let options: EnvironmentOptions
    /// Every restart so far, oldest first.
    public private(set) var restarts: [WorkerRestart] = []
    /// Expert actions for the current observations while `attachExpertActions(true)` is on.
    public let expertActions: UnsafeMutableBufferPointer<Float>
    public private(set) var expertActionsAttached = false
    /// Whether the suite has a scripted expert (MetaWorld does, gymnasium ids do not).
    public let hasExpert: Bool

    final class Shard {
        var worker: WorkerProcess
        let index: Int
        let range: Range<Int>
        var failures = 0
        /// Between `beginStep` and `finishStep` of the part that holds this shard.
        var stepInFlight = false
        /// Why sending this step's request failed (handled when the step is finished).
        var sendError: Error?
        init(worker: WorkerProcess, index: Int, range: Range<Int>) {
            (self.worker, self.index, self.range) = (worker, index, range)
        }
    }

    private var shards: [Shard]
    private var streams: [RandomGenerator]
    /// The seed each environment's next episode will use (drawn from its stream in advance because
    /// STEP must carry it).
    private var pendingSeeds: [UInt64]
    private var hasReset = false
    /// Whether RESET can choose the environments' tasks (the workers' SPEC says so).
    public private(set) var canChooseTasks = false
    /// The tasks the last reset chose, nil when it kept the suite's own assignment.
    private var episodeTasks: [Int32]?
    /// Whether `reset(seeds:)` has been called.
    public var hasBeenReset: Bool { hasReset }
    private var closed = false
    private var sanitized: [Float]
    private var helloFrames: [[UInt8]] = []
    /// How state arrays and frames on the wire become rows.
    private let rows: BridgeObservationRows
    /// A reply's state vectors and frames (current ones, then those of finished episodes) before
    /// they are assembled into rows; room for every environment twice.
    private let wireStates: UnsafeMutableBufferPointer<Float>
    private let wireFrames: UnsafeMutableBufferPointer<UInt8>

    /// Keys that separate an environment's seed stream from its first episode (the built-in tasks' key).
    static let streamKey: UInt64 = 0x5EED_5EED_0000_0001

    /// Starts the workers, builds the environments and reads the spec. Throws `BridgeError` with the
    /// missing package, the valid ids, or the worker's own error.
    public init(id: String, numEnvs: Int, options: EnvironmentOptions = EnvironmentOptions(),
                configuration: Configuration = Configuration()) throws {
        guard numEnvs >= 1 else { throw BuiltinEnvironments.Error.invalidNumEnvs(numEnvs) }
        if options.observation != .state, !ImageLayout.sizes.contains(options.imageSize) {
            throw PixelObservationError.imageSize(options.imageSize)
        }
        self.numEnvs = numEnvs
        self.options = options
        var configuration = configuration
        configuration.python = configuration.python.forEnvironment(id)
        self.configuration = configuration
        let p = min(numEnvs, max(1, configuration.workers ?? Configuration.defaultWorkerCount))
        var ranges: [Range<Int>] = []
        var start = 0
        for k in 0..<p {
            let size = numEnvs / p + (k < numEnvs % p ? 1 : 0)
            ranges.append(start..<(start + size))
            start += size
        }
        var started: [Shard] = []
        do {
            for (k, range) in ranges.enumerated() {
                started.append(Shard(worker: try WorkerProcess(python: configuration.python), index: k, range: range))
            }
            var specs: [(spec: EnvSpec, hasExpert: Bool, images: [BridgeImage], choosesTasks: Bool)] = []
            for s in started {
                helloFrames.append(try BridgeProtocol.helloFrame(envID: id, envIndices: Array(s.range), options: options.json))
                try s.worker.send(helloFrames[s.index])
            }
            for s in started { specs.append(try Self.readSpec(s.worker, id: id, timeout: configuration.startupTimeout)) }
            let stateSpec = specs[0].spec
            hasExpert = specs[0].hasExpert
            canChooseTasks = specs.allSatisfy(\.choosesTasks)
            guard specs.allSatisfy({ $0.spec == stateSpec && $0.images == specs[0].images }) else {
                throw BridgeError.malformedMessage("the workers of \(id) disagree about its spec")
            }
            guard specs[0].images == options.requestedImages else {
                throw BridgeError.malformedMessage("\(id) declares the images \(specs[0].images) in SPEC, but HELLO asked for "
                                                   + "\(options.requestedImages)")
            }
            spec = options.observation == .state ? stateSpec : stateSpec.observingPixels(mode: options.observation, size: options.imageSize)
            rows = BridgeObservationRows(stateDim: stateSpec.observationDim, image: spec.image)
        } catch {
            for s in started { s.worker.forceKill() }
            throw error
        }
        shards = started
        buffers = VectorEnvBuffers(numEnvs: numEnvs, observationDim: spec.observationDim)
        expertActions = .allocate(capacity: numEnvs * spec.actionDim)
        expertActions.initialize(repeating: 0)
        streams = [RandomGenerator](repeating: RandomGenerator(seed: 0), count: numEnvs)
        pendingSeeds = [UInt64](repeating: 0, count: numEnvs)
        sanitized = [Float](repeating: 0, count: numEnvs * spec.actionDim)
        wireStates = .allocate(capacity: 2 * numEnvs * rows.stateDim)
        wireStates.initialize(repeating: 0)
        wireFrames = .allocate(capacity: 2 * numEnvs * rows.frameBytes)
        wireFrames.initialize(repeating: 0)
    }

    deinit {
        close()
        expertActions.deallocate()
        wireStates.deallocate()
        wireFrames.deallocate()
    }

    public var workerCount: Int { shards.count }
    /// The process ids of the workers (for tests and diagnostics); they change when a worker is restarted.
    public var workerPIDs: [Int32] { shards.map { $0.worker.pid } }
    /// Each worker's peak resident memory so far (nil where it cannot be read; see `WorkerProcess`).
    public var workerPeakResidentBytes: [Int?] { shards.map { $0.worker.peakResidentBytes } }

    public func close() {
        guard !closed else { return }
        closed = true
        for s in shards { s.worker.terminate() }
    }

    // MARK: - Messages

    /// The worker's SPEC: its state spec, whether it has a scripted expert, and the images it declares.
    public static func readSpec(_ worker: WorkerProcess, id: String, timeout: Double) throws
        -> (spec: EnvSpec, hasExpert: Bool, images: [BridgeImage], choosesTasks: Bool) {
        let reply = try worker.receive(timeout: timeout, waitingFor: "SPEC (building \(id))")
        try throwIfError(reply)
        guard reply.type == BridgeProtocol.MessageType.spec.rawValue else {
            throw BridgeError.malformedMessage("expected SPEC (0x81), got 0x\(String(reply.type, radix: 16))")
        }
        return try BridgeSpecDecoder.decode(reply, id: id)
    }

    /// Converts an ERROR reply into the `BridgeError` of its kind.
    public static func throwIfError(_ reply: BridgeFrameReader) throws {
        guard reply.type == BridgeProtocol.MessageType.error.rawValue else { return }
        var r = reply
        let kind = (try? r.readUInt8()).flatMap(BridgeProtocol.ErrorKind.init(rawValue:))
        let message = String(decoding: r.readRest(), as: UTF8.self)
        switch kind {
        case .versionMismatch: throw BridgeError.protocolVersionMismatch(message: message)
        case .unknownEnvironment: throw BridgeError.unknownEnvironment(message: message)
        case .missingPackage: throw BridgeError.missingPackage(message: message)
        default: throw BridgeError.workerError(message: message)
        }
    }

    private func expect(_ reply: BridgeFrameReader, _ type: BridgeProtocol.MessageType) throws {
        try Self.throwIfError(reply)
        guard reply.type == type.rawValue else {
            throw BridgeError.malformedMessage("expected message 0x\(String(type.rawValue, radix: 16)), got 0x\(String(reply.type, radix: 16))")
        }
    }

    // MARK: - VectorEnv

    public func reset(seeds: [UInt64]) throws {
        try reset(seeds: seeds, chosenTasks: nil)
    }

    public func reset(seeds: [UInt64], tasks: [Int]) throws {
        guard canChooseTasks else { throw VectorEnvError.cannotChooseTasks(envID: spec.id) }
        try validate(tasks: tasks)
        try reset(seeds: seeds, chosenTasks: tasks.map(Int32.init))
    }

    /// RESET with the environments' tasks (nil: the suite's own assignment), kept in `episodeTasks`
    /// for a restarted worker.
    private func reset(seeds: [UInt64], chosenTasks: [Int32]?) throws {
        guard seeds.count == numEnvs else { throw VectorEnvError.seedCountMismatch(expected: numEnvs, got: seeds.count) }
        guard !closed else { throw VectorEnvError.workerFailed(env: nil, message: "the environment was closed") }
        precondition(shards.allSatisfy { !$0.stepInFlight }, "reset(seeds:) while a step is in flight; finish it first")
        episodeTasks = chosenTasks
        for i in 0..<numEnvs {
            streams[i] = RandomGenerator(seed: seeds[i]).split(key: Self.streamKey)
            buffers.episodeSeeds[i] = seeds[i]
            pendingSeeds[i] = streams[i].next()
            buffers.clearForReset(i)
        }
        var failed: [(Shard, Error)] = []
        for s in shards {
            do { try s.worker.send(resetFrame(s.range)) }
            catch { failed.append((s, error)) }
        }
        for s in shards where !failed.contains(where: { $0.0 === s }) {
            do { try readReset(s) } catch { failed.append((s, error)) }
        }
        for (s, error) in failed {
            // One fresh worker gets one more chance; a second failure is the caller's problem.
            try restartWorker(s, reason: "\(error)")
        }
        hasReset = true
    }

    public func step(actions: UnsafeBufferPointer<Float>) throws {
        guard actions.count == numEnvs * spec.actionDim else {
            throw VectorEnvError.actionCountMismatch(expected: numEnvs * spec.actionDim, got: actions.count)
        }
        try beginStep(actions: actions, environments: 0..<numEnvs)
        try finishStep(environments: 0..<numEnvs)
    }

    // MARK: - PipelinedVectorEnv

    /// Whole workers' shards: `count` ranges of about equal numbers of workers (at most one per worker).
    public func stepParts(_ count: Int) -> [Range<Int>] {
        let p = max(1, min(count, shards.count))
        return (0..<p).map { k in
            shards[(k * shards.count / p)].range.lowerBound..<shards[((k + 1) * shards.count / p) - 1].range.upperBound
        }
    }

    /// The shards that make up `environments`, which must be a union of consecutive shards.
    private func shards(in environments: Range<Int>) -> ArraySlice<Shard> {
        let first = shards.firstIndex { $0.range.lowerBound == environments.lowerBound }
        let last = shards.firstIndex { $0.range.upperBound == environments.upperBound }
        guard let first, let last, first <= last else {
            preconditionFailure("environments \(environments) are not a part returned by stepParts (the workers hold \(shards.map(\.range)))")
        }
        return shards[first...last]
    }

    /// Sends every worker of the part its rows before any reply is read, so they simulate in parallel.
    public func beginStep(actions: UnsafeBufferPointer<Float>, environments: Range<Int>) throws {
        let ad = spec.actionDim
        guard actions.count == environments.count * ad else {
            throw VectorEnvError.actionCountMismatch(expected: environments.count * ad, got: actions.count)
        }
        guard hasReset else { throw VectorEnvError.stepBeforeReset }
        guard !closed else { throw VectorEnvError.workerFailed(env: nil, message: "the environment was closed") }
        let part = shards(in: environments)
        precondition(part.allSatisfy { !$0.stepInFlight }, "environments \(environments) were begun twice without finishStep")
        try sanitize(actions, environments: environments)
        for s in part {
            var w = BridgeFrameWriter(.step, reservingCapacity: s.range.count * (ad * 4 + 8))
            sanitized.withUnsafeBufferPointer { w.append(UnsafeBufferPointer(rebasing: $0[(s.range.lowerBound * ad)..<(s.range.upperBound * ad)])) }
            pendingSeeds.withUnsafeBufferPointer { w.append(UnsafeBufferPointer(rebasing: $0[s.range])) }
            s.stepInFlight = true
            do { try s.worker.send(w.finish()) } catch { s.sendError = error }
        }
    }

    /// Reads the part's replies; a worker that failed (when sent to, or since) is replaced and its
    /// episodes end as truncated in this step.
    public func finishStep(environments: Range<Int>) throws {
        let ad = spec.actionDim, od = spec.observationDim
        let part = shards(in: environments)
        precondition(part.allSatisfy(\.stepInFlight), "finishStep(environments: \(environments)) without beginStep")
        var failed: [(Shard, Error)] = []
        for s in part {
            s.stepInFlight = false
            if let error = s.sendError {
                s.sendError = nil
                failed.append((s, error))
                continue
            }
            do {
                let reply = try s.worker.receive(timeout: configuration.stepTimeout, waitingFor: "STEP")
                try expect(reply, .stepDone)
                try readStep(reply, s, ad: ad)
                s.failures = 0
            } catch {
                failed.append((s, error))
            }
        }
        for (s, error) in failed {
            for i in s.range {
                for k in 0..<od { buffers.finalObservations[i * od + k] = buffers.observations[i * od + k] }
                buffers.rewards[i] = 0
                buffers.terminated[i] = false
                buffers.truncated[i] = true
                buffers.success[i] = false
                buffers.episodeSeeds[i] = pendingSeeds[i]
                pendingSeeds[i] = streams[i].next()
                buffers.episodeSteps[i] = 0
            }
            try restartWorker(s, reason: "\(error)")
        }
    }

    /// Clips the part's finite components to the action bounds and applies the `InvalidActionPolicy`
    /// to NaN/±∞; `actions` holds the part's rows only.
    private func sanitize(_ actions: UnsafeBufferPointer<Float>, environments: Range<Int>) throws {
        let ad = spec.actionDim, low = spec.action.low, high = spec.action.high, lo = environments.lowerBound
        if options.invalidActionPolicy == .reject {
            for j in 0..<actions.count where !actions[j].isFinite {
                throw VectorEnvError.nonFiniteAction(env: lo + j / ad, component: j % ad)
            }
        }
        for r in 0..<environments.count {
            var bad = false
            for k in 0..<ad {
                var a = actions[r * ad + k]
                if !a.isFinite { a = 0; bad = true }
                sanitized[(lo + r) * ad + k] = min(max(a, low[k]), high[k])
            }
            if bad { buffers.invalidActionCounts[lo + r] += 1 }
        }
    }

    /// RESET of the range's environments with their current episode seeds, and their tasks when
    /// chosen.
    private func resetFrame(_ range: Range<Int>) -> [UInt8] {
        var w = BridgeFrameWriter(.reset, reservingCapacity: range.count * 12)
        w.append(Array(buffers.episodeSeeds[range]))
        if let episodeTasks { w.append(Array(episodeTasks[range])) }
        return w.finish()
    }

    /// RESET_DONE: task indices, state vectors, frames (pixel observations), then expert actions
    /// when attached.
    private func readReset(_ s: Shard) throws {
        let reply = try s.worker.receive(timeout: configuration.stepTimeout, waitingFor: "RESET")
        try expect(reply, .resetDone)
        let ad = spec.actionDim, m = s.range.count
        let expected = m * 4 + rows.wireBytes(count: m) + (expertActionsAttached ? m * ad * 4 : 0)
        guard reply.body.count == expected else {
            throw BridgeError.malformedMessage("RESET_DONE for \(m) environments should be \(expected) bytes, is \(reply.body.count)")
        }
        var r = reply
        try r.read(into: UnsafeMutableBufferPointer(rebasing: buffers.taskIndices[s.range]))
        try readObservations(&r, count: m)
        for j in 0..<m { writeRow(wire: j, into: buffers.observations, env: s.range.lowerBound + j) }
        if expertActionsAttached {
            try r.read(into: UnsafeMutableBufferPointer(rebasing: expertActions[(s.range.lowerBound * ad)..<(s.range.upperBound * ad)]))
        }
    }

    /// STEP_DONE: rewards, flags, task indices, state vectors, those of the finished environments
    /// (in order), the frames of both (pixel observations), then expert actions when attached. The
    /// length is checked before anything is written, so a malformed reply leaves the buffers as they were.
    private func readStep(_ reply: BridgeFrameReader, _ s: Shard, ad: Int) throws {
        let m = s.range.count, lo = s.range.lowerBound
        guard reply.body.count >= m * 5 else { throw BridgeError.malformedMessage("STEP_DONE too short") }
        var done = 0
        for j in 0..<m {
            let f = BridgeProtocol.StepFlags(rawValue: reply.body[m * 4 + j])
            if f.contains(.terminated) || f.contains(.truncated) { done += 1 }
        }
        let expected = m * 9 + rows.wireBytes(count: m + done) + (expertActionsAttached ? m * ad * 4 : 0)
        guard reply.body.count == expected else {
            throw BridgeError.malformedMessage("STEP_DONE for \(m) environments (\(done) finished) should be \(expected) bytes, is \(reply.body.count)")
        }
        var r = reply
        try r.read(into: UnsafeMutableBufferPointer(rebasing: buffers.rewards[s.range]))
        for j in 0..<m {
            let f = BridgeProtocol.StepFlags(rawValue: try r.readUInt8())
            let i = lo + j
            buffers.terminated[i] = f.contains(.terminated)
            buffers.truncated[i] = f.contains(.truncated) && !f.contains(.terminated)
            buffers.success[i] = f.contains(.success)
        }
        try r.read(into: UnsafeMutableBufferPointer(rebasing: buffers.taskIndices[s.range]))
        try readObservations(&r, count: m + done)
        var finished = m
        for j in 0..<m {
            let i = lo + j
            writeRow(wire: j, into: buffers.observations, env: i)
            if buffers.isDone(i) {
                writeRow(wire: finished, into: buffers.finalObservations, env: i)
                finished += 1
                buffers.episodeSeeds[i] = pendingSeeds[i]
                pendingSeeds[i] = streams[i].next()
                buffers.episodeSteps[i] = 0
            } else {
                buffers.episodeSteps[i] += 1
            }
        }
        if expertActionsAttached {
            try r.read(into: UnsafeMutableBufferPointer(rebasing: expertActions[(lo * ad)..<((lo + m) * ad)]))
        }
    }

    /// Reads `count` state vectors and then, for pixel observations, their `count` frames into
    /// `wireStates` / `wireFrames` (a reply's current observations first, then the final ones).
    private func readObservations(_ r: inout BridgeFrameReader, count: Int) throws {
        try r.read(into: UnsafeMutableBufferPointer(rebasing: wireStates[0..<(count * rows.stateDim)]))
        if rows.frameBytes > 0 {
            try r.read(into: UnsafeMutableBufferPointer(rebasing: wireFrames[0..<(count * rows.frameBytes)]))
        }
    }

    /// Assembles wire observation `k` (state vector and frame) into environment `env`'s row of `destination`.
    private func writeRow(wire k: Int, into destination: UnsafeMutableBufferPointer<Float>, env: Int) {
        rows.write(state: wireStates.baseAddress! + k * rows.stateDim,
                   frame: rows.frameBytes > 0 ? UnsafePointer(wireFrames.baseAddress! + k * rows.frameBytes) : nil,
                   into: destination.baseAddress! + env * rows.rowWidth)
    }

    /// Replaces a shard's worker and starts its environments' current episodes (`episodeSeeds`).
    private func restartWorker(_ s: Shard, reason: String) throws {
        s.worker.forceKill()
        s.failures += 1
        let event = WorkerRestart(worker: s.index, environments: s.range, reason: reason)
        restarts.append(event)
        if let report = configuration.onWorkerRestart {
            report(event)
        } else {
            FileHandle.standardError.write(Data(("flowtune: " + event.description + "\n").utf8))
        }
        guard s.failures <= configuration.maxConsecutiveRestarts else {
            throw VectorEnvError.workerFailed(env: s.range.lowerBound,
                                              message: "worker \(s.index) failed \(s.failures) times in a row; last: \(reason)")
        }
        do {
            s.worker = try WorkerProcess(python: configuration.python)
            try s.worker.send(helloFrames[s.index])
            _ = try Self.readSpec(s.worker, id: spec.id, timeout: configuration.startupTimeout)
            if expertActionsAttached {
                try s.worker.send(expertFrame(.attach))
                _ = try s.worker.receive(timeout: configuration.stepTimeout, waitingFor: "EXPERT")
            }
            try s.worker.send(resetFrame(s.range))
            try readReset(s)
        } catch {
            throw VectorEnvError.workerFailed(env: s.range.lowerBound, message: "restarting worker \(s.index) failed: \(error)")
        }
    }

    // MARK: - Expert

    private func expertFrame(_ mode: BridgeProtocol.ExpertMode) -> [UInt8] {
        var w = BridgeFrameWriter(.expert)
        w.append([mode.rawValue])
        return w.finish()
    }

    /// Turns on (or off) the scripted expert's actions in every reply: while on, `expertActions`
    /// always holds the expert's action for the current observations (computed by the worker in the
    /// same round trip as the step). Call after `reset` (it also fills `expertActions` at once).
    public func attachExpertActions(_ on: Bool) throws {
        guard hasReset else { throw VectorEnvError.stepBeforeReset }
        precondition(shards.allSatisfy { !$0.stepInFlight }, "attachExpertActions while a step is in flight; finish it first")
        let ad = spec.actionDim
        for s in shards { try s.worker.send(expertFrame(on ? .attach : .detach)) }
        for s in shards {
            let reply = try s.worker.receive(timeout: configuration.stepTimeout, waitingFor: "EXPERT")
            try expect(reply, .expertDone)
            if on {
                guard reply.body.count == s.range.count * ad * 4 else {
                    throw BridgeError.malformedMessage("EXPERT_DONE has \(reply.body.count) bytes for \(s.range.count) environments")
                }
                var r = reply
                try r.read(into: UnsafeMutableBufferPointer(rebasing: expertActions[(s.range.lowerBound * ad)..<(s.range.upperBound * ad)]))
            }
        }
        expertActionsAttached = on
    }
}
