import Foundation

/// The wire format between the trainer and a simulator worker (`python/PROTOCOL.md` is the
/// specification; `python/flowtune_bridge/protocol.py` is the other end).
///
/// ```swift
/// var frame = BridgeFrameWriter(.reset)
/// frame.append(seeds)                         // [UInt64], little-endian
/// try worker.send(frame.finish())             // u32 length · u8 type · body
/// ```
///
/// A frame is a little-endian `u32` length (of the bytes that follow), a `u8` message type and a
/// body of raw little-endian arrays. Only HELLO and SPEC carry JSON; STEP and its reply are flat
/// Float32 / UInt64 / Int32 / UInt8 arrays, so the hot path formats and parses no text.
public enum BridgeProtocol {
    /// Bumped whenever a message layout changes; HELLO and SPEC both carry it, and a worker of another
    /// version answers HELLO with an ERROR of kind `.versionMismatch`. Version 2 added camera images
    /// (PROTOCOL.md, "Images"); without them its messages are byte for byte version 1's. Version 3
    /// lets RESET choose the environments' tasks (SPEC's `chooses_tasks`).
    public static let version: UInt32 = 3
    /// Longer frames mean a corrupted stream.
    public static let maxFrameLength = 1 << 30

    /// A HELLO frame: the protocol version, then JSON `{"env_id", "env_indices", "options"}`.
    /// `version` is a parameter so tests can check how a worker refuses another version.
    public static func helloFrame(envID: String, envIndices: [Int], options: [String: Any],
                                  version: UInt32 = BridgeProtocol.version) throws -> [UInt8] {
        let request: [String: Any] = ["env_id": envID, "env_indices": envIndices, "options": options]
        let json = try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys])
        var w = BridgeFrameWriter(.hello, reservingCapacity: json.count + 4)
        w.append(version)
        w.append([UInt8](json))
        return w.finish()
    }

    public enum MessageType: UInt8, Sendable {
        case hello = 0x01, reset = 0x02, step = 0x03, expert = 0x04, close = 0x05
        case spec = 0x81, resetDone = 0x82, stepDone = 0x83, expertDone = 0x84, bye = 0x85
        case error = 0xFF
    }

    /// The first body byte of an ERROR reply.
    public enum ErrorKind: UInt8, Sendable {
        case versionMismatch = 1, unknownEnvironment = 2, missingPackage = 3, badRequest = 4, simulator = 5
    }

    /// One byte per environment in STEP_DONE.
    public struct StepFlags: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let terminated = StepFlags(rawValue: 1)
        public static let truncated = StepFlags(rawValue: 2)
        public static let success = StepFlags(rawValue: 4)
    }

    /// EXPERT's one body byte: reply with expert actions now, or also attach them to every later
    /// RESET_DONE / STEP_DONE, or stop attaching them.
    public enum ExpertMode: UInt8, Sendable {
        case now = 0, attach = 1, detach = 2
    }
}

#if _endian(big)
#error("the bridge protocol copies arrays as little-endian bytes; big-endian hosts need byte swapping")
#endif

/// Builds one frame without intermediate copies; `finish()` patches in the length.
public struct BridgeFrameWriter {
    public private(set) var bytes: [UInt8]

    public init(_ type: BridgeProtocol.MessageType, reservingCapacity capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity + 5)
        bytes += [0, 0, 0, 0, type.rawValue]
    }

    public mutating func append(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    public mutating func append(_ data: [UInt8]) { bytes += data }

    public mutating func append<T: BitwiseCopyable>(_ values: UnsafeBufferPointer<T>) {
        bytes += UnsafeRawBufferPointer(values)
    }

    public mutating func append<T: BitwiseCopyable>(_ values: [T]) {
        values.withUnsafeBufferPointer { append($0) }
    }

    /// The finished frame: u32 length of everything after the length field, then type and body.
    public mutating func finish() -> [UInt8] {
        let length = UInt32(bytes.count - 4).littleEndian
        withUnsafeBytes(of: length) { raw in for k in 0..<4 { bytes[k] = raw[k] } }
        return bytes
    }
}

/// Reads the body of a received frame front to back; every read checks the remaining length.
public struct BridgeFrameReader {
    public let type: UInt8
    public let body: [UInt8]
    public private(set) var offset = 0

    public init(type: UInt8, body: [UInt8]) {
        self.type = type
        self.body = body
    }

    public var remaining: Int { body.count - offset }

    public mutating func readUInt32() throws -> UInt32 {
        var v: UInt32 = 0
        try withUnsafeMutableBytes(of: &v) { try copy(into: $0) }
        return UInt32(littleEndian: v)
    }

    public mutating func readUInt8() throws -> UInt8 {
        var v: UInt8 = 0
        try withUnsafeMutableBytes(of: &v) { try copy(into: $0) }
        return v
    }

    /// Copies `destination.count` values straight into caller-owned memory (e.g. `VectorEnvBuffers`).
    public mutating func read<T: BitwiseCopyable>(into destination: UnsafeMutableBufferPointer<T>) throws {
        try copy(into: UnsafeMutableRawBufferPointer(destination))
    }

    public mutating func readArray<T: BitwiseCopyable>(of _: T.Type, count: Int, zero: T) throws -> [T] {
        var out = [T](repeating: zero, count: count)
        try out.withUnsafeMutableBufferPointer { try read(into: $0) }
        return out
    }

    /// The rest of the body.
    public mutating func readRest() -> [UInt8] {
        defer { offset = body.count }
        return Array(body[offset...])
    }

    private mutating func copy(into destination: UnsafeMutableRawBufferPointer) throws {
        let n = destination.count
        guard n <= remaining else {
            throw BridgeError.malformedMessage("a message of type 0x\(String(type, radix: 16)) is \(body.count) bytes long, "
                                               + "but its layout needs at least \(offset + n)")
        }
        body.withUnsafeBytes { src in
            destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + n)]))
        }
        offset += n
    }
}
