/// Environments that draw what a camera above the table sees: the built-in tasks and the
/// multitask suite. Frames are exact functions of the state that `observations` shows (after an
/// auto-reset, the new episode's first state), so the same seeds give the same bytes.
///
/// ```swift
/// var frames = [UInt8](repeating: 0, count: env.numEnvs * 64 * 64 * 3)
/// frames.withUnsafeMutableBufferPointer { env.renderFrames(size: 64, into: $0) }   // [N, 64, 64, RGB]
/// ```
public protocol FrameRendering: VectorEnv {
    /// Draws every environment's current state into `frames`: `numEnvs` images of `size × size`
    /// RGB pixels, rows top to bottom (NHWC, 3 bytes a pixel), the table's [−1, 1]² filling each.
    func renderFrames(size: Int, into frames: UnsafeMutableBufferPointer<UInt8>)

    /// From now on, draws each finished episode's last state into the returned frames at the step
    /// that ends it, before the auto-reset (replacing any earlier recording). See `FinalFrames`.
    func recordFinalFrames(size: Int) -> FinalFrames
}

extension FrameRendering {
    func checkFrameBuffer(size: Int, _ frames: UnsafeMutableBufferPointer<UInt8>) {
        precondition(size >= 8, "renderFrames: size must be at least 8 pixels, got \(size)")
        precondition(frames.count == numEnvs * size * size * 3,
                     "renderFrames: the buffer holds \(frames.count) bytes; \(numEnvs) frames of \(size)×\(size) RGB need \(numEnvs * size * size * 3)")
    }
}

/// Each of `kernel`'s environments on the empty table, in its slot of `frames`.
func renderScenes<K: TaskKernel>(_ kernel: K, size: Int, into frames: UnsafeMutableBufferPointer<UInt8>) {
    let bytes = size * size * 3
    for j in 0..<kernel.count {
        let canvas = Canvas(size: size, pixels: frames.baseAddress! + Int(kernel.globalIndex[j]) * bytes)
        canvas.clear(.table)
        kernel.render(j, on: canvas)
    }
}
