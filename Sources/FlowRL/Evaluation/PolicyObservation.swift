import FlowEnvs
import FlowPolicy

extension FlowPolicyConfig {
    /// Where the camera image sits in the rows this policy reads (nil for a state policy).
    public var imageLayout: ImageLayout? {
        image.map { ImageLayout(offset: $0.offset, size: $0.size, channels: $0.channels) }
    }
}

extension BuiltinEnvironments.Options {
    /// These options with the observations `policy` reads: the state vector, or the camera frames
    /// (with the state before them) at the size its image encoder was built for. Evaluation and RL
    /// build their environments from the policy, so a pixel policy never meets state rows.
    public func observing(for policy: FlowPolicy) -> Self {
        var options = self
        let image = policy.config.imageLayout
        options.observation = ObservationMode(image: image)
        if let image { options.imageSize = image.size }
        return options
    }
}
