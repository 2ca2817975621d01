/// A camera image a bridge worker renders with every observation (python/PROTOCOL.md, "Images"):
/// requested in HELLO's `images` option and declared back in SPEC.
///
/// ```swift
/// let corner = BridgeImage(name: BridgeImage.metaWorldCamera, size: 64)
/// corner.json          // ["name": "corner", "height": 64, "width": 64]
/// corner.byteCount     // 64·64·3 u8 per environment in every RESET_DONE / STEP_DONE
/// ```
public struct BridgeImage: Sendable, Equatable {
    public var name: String
    public var height: Int
    public var width: Int
    public var channels: Int

    public init(name: String, height: Int, width: Int, channels: Int = 3) {
        self.name = name
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// A square RGB image, the only kind `ImageLayout` describes.
    public init(name: String, size: Int) {
        self.init(name: name, height: size, width: size)
    }

    /// The MetaWorld camera FlowTune observes through: every MT50 task's hand, object and goal lie
    /// inside its frame, and it shows them larger than `corner2` does
    /// (python/flowtune_bridge/metaworld_camera.py gives the measurements and the orientation).
    public static let metaWorldCamera = "corner"

    /// Bytes of one environment's frame on the wire.
    public var byteCount: Int { height * width * channels }

    /// The request object of HELLO's `images` list.
    public var json: [String: Any] { ["name": name, "height": height, "width": width] }

    /// Reads one entry of SPEC's `images` list; nil if it lacks a field.
    init?(json o: [String: Any]) {
        guard let name = o["name"] as? String, let height = o["height"] as? Int, let width = o["width"] as? Int,
              let channels = o["channels"] as? Int else { return nil }
        self.init(name: name, height: height, width: width, channels: channels)
    }
}
