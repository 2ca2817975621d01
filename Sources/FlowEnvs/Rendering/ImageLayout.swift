/// What an environment's observation rows hold: the state vector, a camera image, or both.
public enum ObservationMode: String, Sendable, CaseIterable, Codable {
    /// The task's state vector (positions, velocities, goals; a one-hot task for suites).
    case state
    /// Only the top-down camera image: the policy must see where everything is.
    case pixels
    /// The state vector followed by the image.
    case pixelsAndState = "pixels+state"

    /// The mode of rows laid out as `image` says (state rows when nil).
    public init(image: ImageLayout?) {
        guard let image else { self = .state; return }
        self = image.offset > 0 ? .pixelsAndState : .pixels
    }

    /// What rows of this mode hold, for messages: "state", "pixels 64×64" or "pixels+state 64×64".
    public func described(imageSize: Int) -> String {
        self == .state ? "state" : "\(rawValue) \(imageSize)×\(imageSize)"
    }
}

/// Where a camera image sits in an observation row: `offset` state components first, then
/// `size × size × channels` pixel values in [0, 1] (the frame's bytes ÷ 255), rows top to bottom,
/// a pixel's channels together (NHWC), so `row[offset...]` reshaped to `[size, size, channels]` is
/// the image.
///
/// Rows carry floats so that every consumer of observations (rollouts, minibatches, the
/// normaliser) works unchanged; demonstration files store the image part as bytes again
/// (`DemonstrationDataset`), and `byte / 255` round-trips exactly.
public struct ImageLayout: Sendable, Equatable, Codable {
    /// State components before the image (0 for `pixels`).
    public var offset: Int
    /// Frames are `size × size` pixels.
    public var size: Int
    public var channels: Int

    public init(offset: Int, size: Int, channels: Int = 3) {
        precondition(offset >= 0 && size >= 8 && channels >= 1, "an image layout needs offset ≥ 0, size ≥ 8 and channels ≥ 1")
        self.offset = offset
        self.size = size
        self.channels = channels
    }

    /// `ObservationMode.described(imageSize:)` of rows laid out as `image` says.
    public static func described(_ image: ImageLayout?) -> String {
        ObservationMode(image: image).described(imageSize: image?.size ?? 0)
    }

    /// Pixel values in a row: `size · size · channels`.
    public var pixelCount: Int { size * size * channels }
    /// The width of a whole observation row.
    public var rowWidth: Int { offset + pixelCount }

    /// Writes one row: the first `offset` components of `state` (nil only when `offset` is 0), then
    /// `frame`'s `pixelCount` bytes ÷ 255. Every producer of pixel rows (the built-in tasks' wrapper,
    /// the bridge, demonstration files) goes through here, so a policy cannot tell where its frames
    /// came from.
    public func writeRow(state: UnsafePointer<Float>?, frame: UnsafePointer<UInt8>, into row: UnsafeMutablePointer<Float>) {
        if offset > 0 {
            guard let state else { preconditionFailure("a pixels+state row needs its state vector") }
            row.update(from: state, count: offset)
        }
        let pixels = row + offset
        for k in 0..<pixelCount { pixels[k] = Float(frame[k]) / 255 }
    }

    /// The image part of a row back as bytes (the inverse of `writeRow`; values are clamped to [0, 1]).
    public func frameBytes(ofRow row: UnsafePointer<Float>, into frame: UnsafeMutablePointer<UInt8>) {
        let pixels = row + offset
        for k in 0..<pixelCount { frame[k] = UInt8((min(max(pixels[k], 0), 1) * 255).rounded()) }
    }

    /// The smallest and largest frame sizes a built-in task renders for a policy.
    public static let sizes = 16...128
}
