import Foundation
import SafeTensors

/// Writes scalar curves as TensorBoard event files, without TensorFlow or a protobuf library.
///
/// ```swift
/// let tb = try TensorBoardWriter(directory: run.path)   // events.out.tfevents.<time>.<host>
/// try tb.addScalars(["eval_success": 0.62, "policy_loss": -0.013], step: 38_400)
/// tb.close()
/// // tensorboard --logdir runs/   (every run directory is one run in TensorBoard)
/// ```
///
/// The file is a sequence of TFRecords — `uint64 length`, `uint32 masked_crc32c(length)`, `data`,
/// `uint32 masked_crc32c(data)`, little-endian — each holding one serialized `tensorflow.Event`:
/// first `{wall_time, file_version: "brain.Event:2"}`, then per call
/// `{wall_time, step, summary {value {tag, simple_value}}}`. Each record reaches the disk with one
/// `write` when the call returns, so TensorBoard sees curves while the run goes on.
public final class TensorBoardWriter: @unchecked Sendable {
    /// The event file.
    public let path: String
    private let file: AppendOnlyFile

    /// Creates `directory/events.out.tfevents.<seconds>.<host>` (with `.<pid>.<n>` appended if a
    /// file of that name exists, as when a run is resumed within the same second).
    public init(directory: String, wallTime: Date = Date(), hostname: String = TensorBoardWriter.hostname(),
                syscalls: FileSyscalls = .system) throws(RunDirectoryError) {
        let host = hostname.isEmpty ? "localhost" : hostname.replacingOccurrences(of: "/", with: "_")
        var path = "\(directory)/events.out.tfevents.\(Int(wallTime.timeIntervalSince1970)).\(host)"
        var suffix = 0
        while FileManager.default.fileExists(atPath: path) {
            suffix += 1
            path = "\(directory)/events.out.tfevents.\(Int(wallTime.timeIntervalSince1970)).\(host).\(ProcessInfo.processInfo.processIdentifier).\(suffix)"
        }
        self.path = path
        file = try AppendOnlyFile(path: path, truncate: true, syscalls: syscalls)
        try file.append(Data(TFRecord.frame(TensorBoardEvent.fileVersion(wallTime: wallTime.timeIntervalSince1970))))
    }

    /// One point of the curve `tag`. TensorBoard stores `simple_value` as a 32-bit float.
    public func addScalar(_ tag: String, _ value: Double, step: Int, wallTime: Date = Date()) throws(RunDirectoryError) {
        try addScalars([tag: value], step: step, wallTime: wallTime)
    }

    /// Points of several curves at the same step, in one event (tags in name order).
    public func addScalars(_ values: [String: Double], step: Int, wallTime: Date = Date()) throws(RunDirectoryError) {
        let scalars = values.keys.sorted().map { ($0, values[$0]!) }
        let event = TensorBoardEvent.scalars(scalars, step: Int64(step), wallTime: wallTime.timeIntervalSince1970)
        try file.append(Data(TFRecord.frame(event)))
    }

    /// This machine's name from `gethostname` (no DNS lookup), as TensorBoard puts it in file names.
    public static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `fsync`s the file.
    public func flush() throws(RunDirectoryError) { try file.sync() }

    public func close() { file.close() }
}

/// TFRecord framing (the container of TensorBoard event files).
public enum TFRecord {
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        let length = ProtobufWriter.littleEndian(UInt64(data.count))
        out += length
        out += ProtobufWriter.littleEndian(CRC32C.masked(length))
        out += data
        out += ProtobufWriter.littleEndian(CRC32C.masked(data))
        return out
    }
}

/// The few `tensorflow.Event` messages FlowTune writes, hand-encoded.
///
/// Field numbers (tensorflow/core/util/event.proto, summary.proto): `Event.wall_time = 1` (double),
/// `Event.step = 2` (int64), `Event.file_version = 3` (string), `Event.summary = 5` (Summary);
/// `Summary.value = 1` (repeated Value); `Value.tag = 1` (string), `Value.simple_value = 2` (float).
public enum TensorBoardEvent {
    public static func fileVersion(wallTime: Double) -> [UInt8] {
        var event = ProtobufWriter()
        event.double(field: 1, wallTime)
        event.string(field: 3, "brain.Event:2")
        return event.bytes
    }

    public static func scalars(_ scalars: [(tag: String, value: Double)], step: Int64, wallTime: Double) -> [UInt8] {
        var summary = ProtobufWriter()
        for (tag, value) in scalars {
            var entry = ProtobufWriter()
            entry.string(field: 1, tag)
            entry.float(field: 2, Float(value))
            summary.message(field: 1, entry.bytes)
        }
        var event = ProtobufWriter()
        event.double(field: 1, wallTime)
        event.varint(field: 2, UInt64(bitPattern: step))
        event.message(field: 5, summary.bytes)
        return event.bytes
    }
}

/// Protocol-buffer wire format for the four field kinds the events need.
public struct ProtobufWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Wire type 0.
    public mutating func varint(field: Int, _ value: UInt64) {
        key(field, wireType: 0)
        appendVarint(value)
    }

    /// Wire type 1 (fixed64).
    public mutating func double(field: Int, _ value: Double) {
        key(field, wireType: 1)
        bytes += Self.littleEndian(value.bitPattern)
    }

    /// Wire type 5 (fixed32).
    public mutating func float(field: Int, _ value: Float) {
        key(field, wireType: 5)
        bytes += Self.littleEndian(value.bitPattern)
    }

    /// Wire type 2 (length-delimited) holding UTF-8.
    public mutating func string(field: Int, _ value: String) { message(field: field, Array(value.utf8)) }

    /// Wire type 2 holding an encoded message.
    public mutating func message(field: Int, _ encoded: [UInt8]) {
        key(field, wireType: 2)
        appendVarint(UInt64(encoded.count))
        bytes += encoded
    }

    private mutating func key(_ field: Int, wireType: UInt64) { appendVarint(UInt64(field) << 3 | wireType) }

    private mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}
