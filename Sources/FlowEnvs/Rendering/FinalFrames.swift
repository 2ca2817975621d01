/// The frame of each environment's last state in its finished episode, drawn by the environment
/// just before the auto-reset replaces that state. A pixel observation's `finalObservations` row
/// (what a critic bootstraps from at a time limit) needs it: after `step` returns, the finished
/// episode's state is gone, and a frame drawn then would show the next episode.
///
/// ```swift
/// let finals = env.recordFinalFrames(size: 64)      // from now on, filled at every episode end
/// try env.step(actions: actions)
/// if env.buffers.isDone(3) { let frame = finals.frame(ofEnv: 3) }   // 64·64·3 bytes
/// ```
public final class FinalFrames {
    public let size: Int
    public let numEnvs: Int
    /// `[numEnvs, size, size, 3]` bytes; row `i` is valid only where environment `i` just finished.
    public let pixels: UnsafeMutableBufferPointer<UInt8>

    init(numEnvs: Int, size: Int) {
        precondition(size >= 8, "frames must be at least 8 pixels wide, got \(size)")
        self.size = size
        self.numEnvs = numEnvs
        pixels = .allocate(capacity: numEnvs * size * size * 3)
        pixels.initialize(repeating: 0)
    }

    deinit { pixels.deallocate() }

    public var bytesPerFrame: Int { size * size * 3 }

    /// Environment `i`'s final frame (no copy).
    public func frame(ofEnv i: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: pixels[(i * bytesPerFrame)..<((i + 1) * bytesPerFrame)])
    }

    /// Draws kernel environment `j` (global index `i`) into its slot.
    @inline(__always)
    func draw<K: TaskKernel>(_ kernel: K, _ j: Int, globalIndex i: Int) {
        let canvas = Canvas(size: size, pixels: pixels.baseAddress! + i * bytesPerFrame)
        canvas.clear(.table)
        kernel.render(j, on: canvas)
    }
}
