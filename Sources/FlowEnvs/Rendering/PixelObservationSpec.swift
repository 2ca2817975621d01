extension EnvSpec {
    /// This spec with its observation rows replaced by a camera image (`ObservationMode.pixels`) or
    /// extended by one after the state vector (`.pixelsAndState`): `size·size·3` components in
    /// [0, 1] named `pixel_<y>_<x>_<r|g|b>`, and `image` saying where they sit. The built-in tasks'
    /// `PixelObservationEnv` and the bridge's `PythonBridgeEnv` share it, so a policy cannot tell
    /// where its frames came from.
    func observingPixels(mode: ObservationMode, size: Int) -> EnvSpec {
        precondition(mode != .state, "a pixel observation needs mode pixels or pixels+state")
        let state = observation
        let keepsState = mode == .pixelsAndState
        let layout = ImageLayout(offset: keepsState ? state.dim : 0, size: size)
        var names = keepsState ? state.names : []
        var low = keepsState ? state.low : [], high = keepsState ? state.high : []
        names.reserveCapacity(layout.rowWidth)
        for y in 0..<size {
            for x in 0..<size {
                for c in ["r", "g", "b"] { names.append("pixel_\(y)_\(x)_\(c)") }
            }
        }
        low += [Float](repeating: 0, count: layout.pixelCount)
        high += [Float](repeating: 1, count: layout.pixelCount)
        return EnvSpec(id: id, observation: BoxSpace(names: names, low: low, high: high), action: action,
                       tasks: tasks, image: layout)
    }
}
