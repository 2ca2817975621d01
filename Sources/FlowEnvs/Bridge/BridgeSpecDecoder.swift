import Foundation

/// Turns a worker's SPEC reply (u32 protocol version, then JSON) into an `EnvSpec` of the state
/// vector, and the camera images the worker declared.
///
/// ```swift
/// let (spec, hasExpert, images, choosesTasks) = try BridgeSpecDecoder.decode(reply, id: "metaworld/reach-v3")
/// spec.observationDim   // 39: the state arrays of every reply
/// images                // [] unless HELLO asked for some
/// ```
///
/// JSON has no infinity, so the worker writes infinite observation bounds as `null` (`low` → -∞,
/// `high` → +∞). `PythonBridgeEnv` checks the images against its request and builds the rows.
enum BridgeSpecDecoder {
    /// The state spec, whether the suite has a scripted expert, the declared images, and whether RESET
    /// may choose the environments' tasks.
    static func decode(_ reader: BridgeFrameReader, id: String) throws
        -> (spec: EnvSpec, hasExpert: Bool, images: [BridgeImage], choosesTasks: Bool) {
        var r = reader
        let version = try r.readUInt32()
        guard version == BridgeProtocol.version else {
            throw BridgeError.protocolVersionMismatch(message: "the worker's SPEC is protocol version \(version), this FlowTune "
                + "speaks \(BridgeProtocol.version); install the python/ package of the same checkout (pip install ./python)")
        }
        let json = r.readRest()
        guard let o = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
              let obs = o["observation"] as? [String: Any], let act = o["action"] as? [String: Any],
              let taskList = o["tasks"] as? [[String: Any]], let maxSteps = o["max_episode_steps"] as? Int else {
            throw BridgeError.malformedMessage("SPEC is not the JSON object PROTOCOL.md describes: \(String(decoding: json.prefix(300), as: UTF8.self))")
        }
        let imageList = o["images"] as? [[String: Any]] ?? []
        let images = imageList.compactMap(BridgeImage.init(json:))
        guard images.count == imageList.count else {
            throw BridgeError.malformedMessage("SPEC's images need name, height, width and channels each: \(imageList)")
        }
        let tasks = taskList.map {
            TaskDescription(name: $0["name"] as? String ?? id, instruction: $0["instruction"] as? String ?? id,
                            maxEpisodeSteps: $0["max_episode_steps"] as? Int ?? maxSteps)
        }
        guard !tasks.isEmpty else { throw BridgeError.malformedMessage("SPEC lists no tasks") }
        let spec = EnvSpec(id: id, observation: try box(obs, "observation"), action: try box(act, "action"),
                           tasks: tasks)
        return (spec, o["has_expert"] as? Bool ?? false, images, o["chooses_tasks"] as? Bool ?? false)
    }

    private static func box(_ o: [String: Any], _ what: String) throws -> BoxSpace {
        guard let names = o["names"] as? [String], let low = o["low"] as? [Any], let high = o["high"] as? [Any],
              names.count == low.count, low.count == high.count, !names.isEmpty else {
            throw BridgeError.malformedMessage("SPEC's \(what) needs names, low and high of equal, non-zero length")
        }
        let lo = low.map { ($0 as? NSNumber)?.floatValue ?? -.infinity }
        let hi = high.map { ($0 as? NSNumber)?.floatValue ?? .infinity }
        guard zip(lo, hi).allSatisfy({ $0 <= $1 }) else {
            throw BridgeError.malformedMessage("SPEC's \(what) has a component with low > high")
        }
        return BoxSpace(names: names, low: lo, high: hi)
    }
}
