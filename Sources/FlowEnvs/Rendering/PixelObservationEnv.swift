/// A built-in environment observed through its top-down camera (`env.observation: pixels` or
/// `pixels+state`): each observation row is the state vector (for `pixels+state`) followed by the
/// rendered frame as `size·size·3` values in [0, 1] (`ImageLayout`), and `spec.image` says so.
///
/// ```swift
/// let env = try PixelObservationEnv(wrapping: ReachObstacleEnv(numEnvs: 64), mode: .pixels, size: 64)
/// try env.reset(seeds: seeds)           // env.spec.observation.dim == 64·64·3
/// try env.step(actions: actions)        // rows: the frames after the step (next episode's after a reset)
/// ```
///
/// Everything but the observations (rewards, flags, seeds, tasks) is the wrapped environment's,
/// copied after every call, so the two step in lockstep and the same seeds give the same bytes.
/// `finalObservations` shows the finished episode's last frame, drawn by the wrapped environment
/// before its auto-reset (`FinalFrames`). Rendering costs a few microseconds a frame
/// (docs/results/pixels-and-language.md), far below what the policy spends reading it.
public final class PixelObservationEnv: VectorEnv {
    public let spec: EnvSpec
    public let buffers: VectorEnvBuffers
    public let mode: ObservationMode
    /// The environment that simulates (its observations are the state vectors).
    public let wrapped: any FrameRendering
    public var numEnvs: Int { wrapped.numEnvs }
    private let layout: ImageLayout
    private let frames: UnsafeMutableBufferPointer<UInt8>
    private let finalFrames: FinalFrames

    /// `mode` must be `.pixels` or `.pixelsAndState`; `size` within `ImageLayout.sizes`.
    public init(wrapping env: any FrameRendering, mode: ObservationMode, size: Int) throws {
        guard mode != .state else { throw PixelObservationError.stateMode }
        guard ImageLayout.sizes.contains(size) else { throw PixelObservationError.imageSize(size) }
        wrapped = env
        self.mode = mode
        let pixelSpec = env.spec.observingPixels(mode: mode, size: size)
        spec = pixelSpec
        layout = pixelSpec.image!
        buffers = VectorEnvBuffers(numEnvs: env.numEnvs, observationDim: layout.rowWidth)
        frames = .allocate(capacity: env.numEnvs * layout.pixelCount)
        frames.initialize(repeating: 0)
        finalFrames = env.recordFinalFrames(size: size)
    }

    deinit { frames.deallocate() }

    public func reset(seeds: [UInt64]) throws {
        try wrapped.reset(seeds: seeds)
        copyFromWrapped(afterReset: true)
    }

    public var canChooseTasks: Bool { wrapped.canChooseTasks }

    public func reset(seeds: [UInt64], tasks: [Int]) throws {
        try wrapped.reset(seeds: seeds, tasks: tasks)
        copyFromWrapped(afterReset: true)
    }

    public func step(actions: UnsafeBufferPointer<Float>) throws {
        try wrapped.step(actions: actions)
        copyFromWrapped(afterReset: false)
    }

    public func close() { wrapped.close() }

    private func copyFromWrapped(afterReset: Bool) {
        let inner = wrapped.buffers, b = buffers
        for i in 0..<numEnvs { b.copyStepRecord(ofEnv: i, from: inner, toEnv: i) }
        wrapped.renderFrames(size: layout.size, into: frames)
        for i in 0..<numEnvs {
            write(state: inner.observation(ofEnv: i), frame: frame(i), into: b.observations.baseAddress! + i * layout.rowWidth)
            if !afterReset && inner.isDone(i) {
                write(state: inner.finalObservation(ofEnv: i), frame: finalFrames.frame(ofEnv: i),
                      into: b.finalObservations.baseAddress! + i * layout.rowWidth)
            }
        }
    }

    private func frame(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: frames[(i * layout.pixelCount)..<((i + 1) * layout.pixelCount)])
    }

    private func write(state: UnsafeBufferPointer<Float>, frame: UnsafeBufferPointer<UInt8>, into row: UnsafeMutablePointer<Float>) {
        layout.writeRow(state: state.baseAddress!, frame: frame.baseAddress!, into: row)
    }
}

/// A pixel observation that cannot be set up.
public enum PixelObservationError: Error, Equatable, CustomStringConvertible {
    case stateMode
    case imageSize(Int)
    case notRendered(envID: String)

    public var description: String {
        switch self {
        case .stateMode:
            return "a pixel observation needs env.observation 'pixels' or 'pixels+state'; 'state' needs no wrapper."
        case let .imageSize(size):
            return "env.image_size \(size) is outside \(ImageLayout.sizes.lowerBound)...\(ImageLayout.sizes.upperBound); 64 or 84 are usual."
        case let .notRendered(id):
            return "environment '\(id)' has no camera: pixel observations exist for the built-in tasks "
                + "(\(BuiltinEnvironments.ids.joined(separator: ", "))) and metaworld/ ids; use env.observation: state for it."
        }
    }
}

/// A scripted expert for a pixel-observed task: the task's own expert, reading the state vectors
/// that the wrapped environment still produces (experts plan from positions, not pixels).
final class StateReadingExpert: ScriptedExpert {
    let env: PixelObservationEnv
    let expert: any ScriptedExpert

    init(env: PixelObservationEnv, expert: any ScriptedExpert) {
        self.env = env
        self.expert = expert
    }

    var numEnvs: Int { expert.numEnvs }
    var actionDim: Int { expert.actionDim }
    var noiseStd: Float {
        get { expert.noiseStd }
        set { expert.noiseStd = newValue }
    }

    func act(_ buffers: VectorEnvBuffers, into actions: UnsafeMutableBufferPointer<Float>) {
        expert.act(env.wrapped.buffers, into: actions)
    }
}
