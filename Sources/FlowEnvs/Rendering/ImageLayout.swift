/// What an environment's observation rows hold: the state vector, a camera image, or both.
public enum ObservationMode: String, Sendable, CaseIterable, Codable {
    /// The task's state vector (positions, velocities, goals; a one-hot task for suites).
    case state
    /// Only the top-down camera image: the policy must see where everything is.
    case pixels
    /// The state vector followed by the image.
    case pixelsAndState = "pixels+state"
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

    /// Pixel values in a row: `size · size · channels`.
    public var pixelCount: Int { size * size * channels }
    /// The width of a whole observation row.
    public var rowWidth: Int { offset + pixelCount }

    /// The smallest and largest frame sizes a built-in task renders for a policy.
    public static let sizes = 16...128
}
