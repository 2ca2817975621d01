import SafeTensors
import Foundation

/// Demonstration episodes in one safetensors file (readable by Python's `safetensors.numpy`).
///
/// ```swift
/// let demos = try DemonstrationCollector(envID: "reach-obstacle").collect(episodes: 10, seed: 0)
/// try demos.write(to: "demos.safetensors")
/// let again = try DemonstrationDataset.read(from: "demos.safetensors")
/// ```
///
/// File layout (all steps of all episodes concatenated, episode after episode):
///
/// | tensor | dtype | shape | meaning |
/// |---|---|---|---|
/// | `observations` | F32 | `[steps, obsDim]` | observation before each action |
/// | `actions` | F32 | `[steps, actionDim]` | action taken (as sent to the environment) |
/// | `rewards` | F32 | `[steps]` | reward of each step |
/// | `episode_starts` | I64 | `[episodes]` | index of each episode's first step |
/// | `episode_lengths` | I64 | `[episodes]` | steps per episode |
/// | `episode_success` | U8 | `[episodes]` | 1 if the episode succeeded |
/// | `episode_tasks` | I64 | `[episodes]` | task index (0 for single-task environments) |
///
/// Metadata (strings): `format` = `flowtune.demos/1`, `env_id`, `observation_dim`, `action_dim`,
/// `source` (what produced the episodes), and `task_names` (JSON list).
///
/// Pixel observations (`image` set, see `ImageLayout`) keep their frames as bytes: `observations`
/// holds only the `image_offset` state components of each row (absent for `pixels` alone), and
///
/// | tensor | dtype | shape | meaning |
/// |---|---|---|---|
/// | `images` | U8 | `[steps, size, size, 3]` | the camera frame before each action |
///
/// with metadata `image_size` and `image_offset`. In memory the rows are whole again (pixels as
/// byte ÷ 255), so a 64×64 frame takes 12 KiB on disk and 48 KiB in memory.
public struct DemonstrationDataset: Sendable, Equatable {
    public static let formatTag = "flowtune.demos/1"

    public var envID: String
    public var observationDim: Int
    public var actionDim: Int
    public var source: String
    public var taskNames: [String]
    /// `[steps × observationDim]`, row-major.
    public var observations: [Float] = []
    /// `[steps × actionDim]`, row-major.
    public var actions: [Float] = []
    public var rewards: [Float] = []
    public var episodeStarts: [Int] = []
    public var episodeLengths: [Int] = []
    public var episodeSuccess: [Bool] = []
    public var episodeTasks: [Int] = []
    /// Where each row's camera image is, for pixel observations; nil for state vectors.
    public var image: ImageLayout?

    /// An empty dataset; episodes come from `append` (or the whole dataset from `read`).
    public init(envID: String, observationDim: Int, actionDim: Int, source: String, taskNames: [String] = [],
                image: ImageLayout? = nil) {
        self.envID = envID
        self.observationDim = observationDim
        self.actionDim = actionDim
        self.source = source
        self.taskNames = taskNames
        self.image = image
    }

    public var episodeCount: Int { episodeStarts.count }
    public var stepCount: Int { rewards.count }

    /// Appends one episode (`observations` `[T × obsDim]`, `actions` `[T × actionDim]`, `rewards` `[T]`).
    public mutating func append(observations obs: [Float], actions act: [Float], rewards rew: [Float], success: Bool, task: Int) {
        precondition(obs.count == rew.count * observationDim && act.count == rew.count * actionDim && !rew.isEmpty,
                     "episode arrays disagree in length")
        episodeStarts.append(stepCount)
        episodeLengths.append(rew.count)
        episodeSuccess.append(success)
        episodeTasks.append(task)
        observations += obs
        actions += act
        rewards += rew
    }

    /// The dataset restricted to the given episodes (in the given order).
    public func episodes(_ indices: [Int]) -> DemonstrationDataset {
        var out = DemonstrationDataset(envID: envID, observationDim: observationDim, actionDim: actionDim,
                                       source: source, taskNames: taskNames, image: image)
        for e in indices {
            let s = episodeStarts[e], n = episodeLengths[e]
            out.append(observations: Array(observations[(s * observationDim)..<((s + n) * observationDim)]),
                       actions: Array(actions[(s * actionDim)..<((s + n) * actionDim)]),
                       rewards: Array(rewards[s..<(s + n)]), success: episodeSuccess[e], task: episodeTasks[e])
        }
        return out
    }

    // MARK: Files

    public func write(to path: String) throws {
        try validate(path: path)
        var file = SafeTensorsFile()
        if let image {
            if image.offset > 0 {
                file.tensors["observations"] = SafeTensor(floats: stateColumns(image), shape: [stepCount, image.offset])
            }
            file.tensors["images"] = SafeTensor(uint8s: imageBytes(image), shape: [stepCount, image.size, image.size, image.channels])
        } else {
            file.tensors["observations"] = SafeTensor(floats: observations, shape: [stepCount, observationDim])
        }
        file.tensors["actions"] = SafeTensor(floats: actions, shape: [stepCount, actionDim])
        file.tensors["rewards"] = SafeTensor(floats: rewards, shape: [stepCount])
        file.tensors["episode_starts"] = SafeTensor(int64s: episodeStarts.map(Int64.init), shape: [episodeCount])
        file.tensors["episode_lengths"] = SafeTensor(int64s: episodeLengths.map(Int64.init), shape: [episodeCount])
        file.tensors["episode_success"] = SafeTensor(uint8s: episodeSuccess.map { $0 ? 1 : 0 }, shape: [episodeCount])
        file.tensors["episode_tasks"] = SafeTensor(int64s: episodeTasks.map(Int64.init), shape: [episodeCount])
        let names = String(decoding: try JSONEncoder().encode(taskNames), as: UTF8.self)
        file.metadata = ["format": Self.formatTag, "env_id": envID, "observation_dim": "\(observationDim)",
                         "action_dim": "\(actionDim)", "source": source, "task_names": names]
        if let image {
            file.metadata["image_size"] = "\(image.size)"
            file.metadata["image_offset"] = "\(image.offset)"
        }
        try file.write(to: path)
    }

    /// The state components of every row (`[steps, image.offset]`).
    private func stateColumns(_ image: ImageLayout) -> [Float] {
        var out = [Float](); out.reserveCapacity(stepCount * image.offset)
        for r in 0..<stepCount { out += observations[(r * observationDim)..<(r * observationDim + image.offset)] }
        return out
    }

    /// The image of every row as bytes (`[steps, size, size, channels]`).
    private func imageBytes(_ image: ImageLayout) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: stepCount * image.pixelCount)
        observations.withUnsafeBufferPointer { rows in
            out.withUnsafeMutableBufferPointer { bytes in
                for r in 0..<stepCount {
                    image.frameBytes(ofRow: rows.baseAddress! + r * observationDim, into: bytes.baseAddress! + r * image.pixelCount)
                }
            }
        }
        return out
    }

    /// Rows `[state, bytes ÷ 255]` from a file's two parts.
    private static func rows(state: [Float], bytes: [UInt8], steps: Int, image: ImageLayout) -> [Float] {
        var out = [Float](repeating: 0, count: steps * image.rowWidth)
        state.withUnsafeBufferPointer { state in
            bytes.withUnsafeBufferPointer { bytes in
                out.withUnsafeMutableBufferPointer { rows in
                    for r in 0..<steps {
                        image.writeRow(state: state.baseAddress.map { $0 + r * image.offset },
                                       frame: bytes.baseAddress! + r * image.pixelCount, into: rows.baseAddress! + r * image.rowWidth)
                    }
                }
            }
        }
        return out
    }

    /// Reads and validates a dataset file; every inconsistency is a `DemonstrationDatasetError`.
    public static func read(from path: String) throws -> DemonstrationDataset {
        let file = try SafeTensorsFile.read(from: path)
        func fail(_ reason: String) -> DemonstrationDatasetError { .invalid(path: path, reason: reason) }
        guard file.metadata["format"] == formatTag else {
            throw fail("its metadata has no format tag '\(formatTag)'")
        }
        guard let env = file.metadata["env_id"], let od = Int(file.metadata["observation_dim"] ?? ""),
              let ad = Int(file.metadata["action_dim"] ?? ""), od > 0, ad > 0 else {
            throw fail("its metadata lacks env_id, observation_dim or action_dim")
        }
        let names = (try? JSONDecoder().decode([String].self, from: Data((file.metadata["task_names"] ?? "[]").utf8))) ?? []
        func ints(_ name: String) throws -> [Int] { try file.tensor(name).int64s().map { Int(clamping: $0) } }
        var image: ImageLayout?
        let observations: [Float]
        if let sizeText = file.metadata["image_size"] {
            guard let size = Int(sizeText), ImageLayout.sizes.contains(size), let offset = Int(file.metadata["image_offset"] ?? ""),
                  offset >= 0, offset + size * size * 3 == od else {
                throw fail("its image metadata (image_size \(sizeText), image_offset \(file.metadata["image_offset"] ?? "none")) does not add up to observation_dim \(od)")
            }
            let layout = ImageLayout(offset: offset, size: size)
            let bytes = try file.uint8s("images")
            guard bytes.count % layout.pixelCount == 0 else { throw fail("its images are not whole \(size)×\(size)×3 frames") }
            let steps = bytes.count / layout.pixelCount
            let state = offset > 0 ? try file.tensor("observations").floats() : []
            guard state.count == steps * offset else { throw fail("its observations are not [\(steps), \(offset)] beside \(steps) images") }
            observations = rows(state: state, bytes: bytes, steps: steps, image: layout)
            image = layout
        } else {
            observations = try file.tensor("observations").floats()
        }
        var data = DemonstrationDataset(envID: env, observationDim: od, actionDim: ad, source: file.metadata["source"] ?? "",
                                        taskNames: names, image: image)
        data.observations = observations
        data.actions = try file.tensor("actions").floats()
        data.rewards = try file.tensor("rewards").floats()
        data.episodeStarts = try ints("episode_starts")
        data.episodeLengths = try ints("episode_lengths")
        data.episodeSuccess = try file.tensor("episode_success").uint8s().map { $0 != 0 }
        data.episodeTasks = try ints("episode_tasks")
        try data.validate(path: path)
        return data
    }

    /// Checks that the arrays describe whole, contiguous, in-bounds episodes.
    public func validate(path: String = "<memory>") throws {
        func fail(_ reason: String) -> DemonstrationDatasetError { .invalid(path: path, reason: reason) }
        let steps = rewards.count
        guard observations.count == steps * observationDim else { throw fail("observations are not [\(steps), \(observationDim)]") }
        guard actions.count == steps * actionDim else { throw fail("actions are not [\(steps), \(actionDim)]") }
        let e = episodeStarts.count
        guard episodeLengths.count == e, episodeSuccess.count == e, episodeTasks.count == e else {
            throw fail("episode arrays differ in length")
        }
        var next = 0
        for i in 0..<e {
            guard episodeStarts[i] == next, episodeLengths[i] >= 1 else {
                throw fail("episode \(i) does not start where the previous one ended or is empty")
            }
            next += episodeLengths[i]
            guard episodeTasks[i] >= 0, taskNames.isEmpty || episodeTasks[i] < taskNames.count else {
                throw fail("episode \(i) has task index \(episodeTasks[i]) outside the \(taskNames.count) tasks")
            }
        }
        guard next == steps else { throw fail("episodes cover \(next) steps but the file has \(steps)") }
        guard observations.allSatisfy(\.isFinite), actions.allSatisfy(\.isFinite), rewards.allSatisfy(\.isFinite) else {
            throw fail("it contains NaN or infinite values")
        }
    }
}

/// Errors from demonstration files.
public enum DemonstrationDatasetError: Error, CustomStringConvertible, Equatable {
    case invalid(path: String, reason: String)
    case empty(path: String)

    public var description: String {
        switch self {
        case .invalid(let path, let reason):
            return "\(path) is not a valid FlowTune demonstration file: \(reason). Re-create it with `flowtune collect`."
        case .empty(let path):
            return "\(path) holds no episodes; collect demonstrations with `flowtune collect` first."
        }
    }
}
