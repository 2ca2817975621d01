/// How a worker's state arrays and camera frames become `PythonBridgeEnv`'s observation rows.
///
/// ```swift
/// let rows = BridgeObservationRows(stateDim: 39, image: ImageLayout(offset: 39, size: 64))
/// rows.wireBytes(count: 3)    // 3 · (39·4 + 64·64·3): three state vectors and their frames
/// rows.write(state: s, frame: f, into: row)   // row = [s (pixels+state only)] + f / 255
/// ```
///
/// On the wire the state vector always comes (python/PROTOCOL.md), also for `pixels` alone: it is
/// small next to a frame, and the worker's scripted expert plans from it anyway. A row holds what
/// `PixelObservationEnv` makes of a built-in task's frame, so policies read both alike.
struct BridgeObservationRows {
    /// Components of the worker's state vector.
    let stateDim: Int
    /// Where the frame sits in a row; nil for state rows (no frames on the wire).
    let image: ImageLayout?

    /// The width of a row.
    var rowWidth: Int { image?.rowWidth ?? stateDim }
    /// Bytes of one environment's frame on the wire (0 without images).
    var frameBytes: Int { image?.pixelCount ?? 0 }

    /// Bytes that `count` state vectors and their frames take on the wire.
    func wireBytes(count: Int) -> Int { count * (stateDim * 4 + frameBytes) }

    /// Writes one row from a state vector (`stateDim` floats) and a frame (`frameBytes` bytes; nil
    /// only for state rows).
    func write(state: UnsafePointer<Float>, frame: UnsafePointer<UInt8>?, into row: UnsafeMutablePointer<Float>) {
        guard let image, let frame else {
            row.update(from: state, count: stateDim)
            return
        }
        image.writeRow(state: state, frame: frame, into: row)
    }
}
