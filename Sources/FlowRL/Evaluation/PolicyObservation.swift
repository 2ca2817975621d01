import FlowEnvs
import FlowPolicy

extension BuiltinEnvironments.Options {
    /// These options with the observations `policy` reads: the state vector, or the camera frames
    /// (with the state before them) at the size its image encoder was built for. Evaluation and RL
    /// build their environments from the policy, so a pixel policy never meets state rows.
    public func observing(for policy: FlowPolicy) -> Self {
        var options = self
        if let image = policy.config.image {
            options.observation = image.offset > 0 ? .pixelsAndState : .pixels
            options.imageSize = image.size
        } else {
            options.observation = .state
        }
        return options
    }
}
