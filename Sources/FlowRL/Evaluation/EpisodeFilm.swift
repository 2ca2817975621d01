import FlowEnvs
import FlowPolicy
import FlowTensor

/// A few evaluation episodes as pictures: what the policy saw (a pixel policy's own camera frames)
/// or, for a state policy on a built-in task, the top-down scene drawn from its state; with each
/// episode's task, instruction and outcome. The report's rollout viewer shows them as filmstrips.
///
/// ```swift
/// let film = try Evaluator(envID: "push").film(policy, episodes: 4)
/// film.episodes[0].frames.count      // up to 10 frames of 64×64 RGB, first and last included
/// ```
public struct EpisodeFilm: Sendable, Equatable {
    public struct Episode: Sendable, Equatable {
        public var task: String
        public var instruction: String
        public var success: Bool
        public var length: Int
        /// Evenly spaced frames from the first observation to the last state, each `size·size·3` bytes.
        public var frames: [[UInt8]]

        public init(task: String, instruction: String, success: Bool, length: Int, frames: [[UInt8]]) {
            (self.task, self.instruction, self.success, self.length, self.frames) = (task, instruction, success, length, frames)
        }
    }

    /// Frames are `size × size` RGB.
    public var size: Int
    public var episodes: [Episode]

    public init(size: Int, episodes: [Episode]) {
        self.size = size
        self.episodes = episodes
    }
}

extension Evaluator {
    /// Films the first `episodes` of this evaluation (the same seeds and initial noises, so their
    /// outcomes are the evaluation's own under the ODE sampler), keeping `framesPerEpisode` evenly
    /// spaced frames of each. Returns nil when there is nothing to draw: a state policy on a
    /// simulator without a camera (the Python bridge).
    public func film(_ policy: FlowPolicy, episodes count: Int = 4, framesPerEpisode: Int = 10,
                     frameSize: Int = 64, samplingSeed: UInt64 = 0) throws -> EpisodeFilm? {
        precondition(count >= 1 && framesPerEpisode >= 2, "film at least one episode and two frames")
        if EnvironmentRegistry.isBridgeID(envID) && policy.config.image == nil { return nil }
        let env = try environments(count, for: policy)
        defer { env.close() }
        let camera = FilmCamera(env: env, size: frameSize)
        guard let camera else { return nil }
        try env.reset(seeds: (0..<count).map { seed &+ UInt64($0) })
        camera.capture()
        var frames = (0..<count).map { [camera.current($0)] }
        var rng = RandomGenerator(seed: samplingSeed)
        let base = RandomGenerator(seed: samplingSeed)
        var noise = (0..<count).map { base.split(key: UInt64($0)) }
        let outcomes = try Self.runOneEpisodeEach(env, policy: policy, mode: mode, initialNoise: &noise, rng: &rng) { stepped in
            camera.capture()
            for i in stepped { frames[i].append(env.buffers.isDone(i) ? camera.final(i) : camera.current(i)) }
        }
        let tasks = env.spec.tasks
        return EpisodeFilm(size: camera.size, episodes: (0..<count).map { i in
            let o = outcomes[i]
            let kept = Self.evenlySpaced(frames[i].count, framesPerEpisode)
            return .init(task: tasks[o.task].name, instruction: tasks[o.task].instruction, success: o.success, length: o.length,
                         frames: kept.map { frames[i][$0] })
        })
    }

    /// `k` indices from `0..<n`, evenly spaced, the first and last included (all of them when `n ≤ k`).
    static func evenlySpaced(_ n: Int, _ k: Int) -> [Int] {
        guard n > k else { return Array(0..<n) }
        return (0..<k).map { Int((Double($0) * Double(n - 1) / Double(k - 1)).rounded()) }
    }
}

/// Where a film's frames come from: the image part of a pixel policy's observation rows, or the
/// built-in task's renderer for a state policy (with `FinalFrames` for the last state).
final class FilmCamera {
    let env: any VectorEnv
    let size: Int
    private let image: ImageLayout?
    private let renderer: (any FrameRendering)?
    private var finals: FinalFrames?
    private var rendered: [UInt8] = []

    init?(env: any VectorEnv, size: Int) {
        self.env = env
        if let image = env.spec.image {
            self.image = image
            self.size = image.size
            renderer = nil
        } else if let r = env as? any FrameRendering {
            image = nil
            self.size = size
            renderer = r
            finals = r.recordFinalFrames(size: size)
        } else {
            return nil
        }
    }

    /// Draws every environment's current state (after a reset or a step; rows of a pixel policy
    /// already hold theirs).
    func capture() {
        guard let renderer else { return }
        if rendered.count != env.numEnvs * size * size * 3 { rendered = [UInt8](repeating: 0, count: env.numEnvs * size * size * 3) }
        rendered.withUnsafeMutableBufferPointer { renderer.renderFrames(size: size, into: $0) }
    }

    /// Environment `i`'s frame as of the last `capture()`.
    func current(_ i: Int) -> [UInt8] {
        if let image { return Self.bytes(env.buffers.observation(ofEnv: i), image) }
        let n = size * size * 3
        return Array(rendered[(i * n)..<((i + 1) * n)])
    }

    func final(_ i: Int) -> [UInt8] {
        if let image { return Self.bytes(env.buffers.finalObservation(ofEnv: i), image) }
        return Array(finals!.frame(ofEnv: i))
    }

    static func bytes(_ row: UnsafeBufferPointer<Float>, _ image: ImageLayout) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: image.pixelCount) { frame, count in
            image.frameBytes(ofRow: row.baseAddress!, into: frame.baseAddress!)
            count = image.pixelCount
        }
    }
}
