#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// safetensors checkpoint I/O (https://github.com/huggingface/safetensors), on plain byte arrays so
// that it does not depend on `Tensor`. File layout:
//
//     [ N: UInt64, little-endian ][ N bytes of UTF-8 JSON header ][ data buffer ]
//     header = {"__metadata__": {"k": "v", …}, "name": {"dtype": "F32", "shape": [2, 3],
//               "data_offsets": [begin, end]}, …}      offsets are relative to the data buffer
//
// The reader treats every byte of the input as hostile: it validates the length prefix, parses the
// header with its own bounded JSON parser, checks every entry (shape product with overflow checks,
// size = product × dtype size = end − begin) and the buffer layout (begin ≤ end ≤ buffer size, no
// overlaps) before it copies a single tensor byte. Release builds use -Ounchecked, where neither
// arithmetic overflow nor array bounds trap, so every index and product below is checked explicitly.

/// A safetensors file in memory: named tensors plus string metadata, readable by Python's
/// `safetensors.numpy.load_file` / `safe_open` and by FlowTune.
///
/// ```swift
/// let ckpt = SafeTensorsFile(tensors: ["w": SafeTensor(floats: w, shape: [4, 8])], metadata: ["step": "1000"])
/// try ckpt.write(to: "runs/reach/ckpt.safetensors")            // atomic: old file survives a failed write
/// let w2 = try SafeTensorsFile.read(from: "runs/reach/ckpt.safetensors").floats("w")
/// ```
///
/// Written files list the tensors in sorted-name order, packed back to back from offset 0, with the
/// JSON header padded with spaces to a multiple of 8 bytes, as the reference implementation does.
public struct SafeTensorsFile: Sendable, Equatable {
    /// Longest header the reader accepts, in bytes (the reference implementation's limit).
    public static let maxHeaderLength = 100_000_000
    /// The header key reserved for metadata; no tensor may have this name.
    public static let metadataKey = "__metadata__"

    public var tensors: [String: SafeTensor]
    public var metadata: [String: String]

    public init(tensors: [String: SafeTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor called `name`; throws `missingTensor` listing the names there are.
    public func tensor(_ name: String) throws -> SafeTensor {
        guard let tensor = tensors[name] else {
            throw SafeTensorsError.missingTensor(name: name, available: tensors.keys.sorted())
        }
        return tensor
    }

    /// `tensor(name).floats()`, with the tensor's name in any `wrongDType` error.
    public func floats(_ name: String) throws -> [Float] {
        try named(name) { try $0.floats() }
    }

    /// `tensor(name).int64s()`, with the tensor's name in any `wrongDType` error.
    public func int64s(_ name: String) throws -> [Int64] {
        try named(name) { try $0.int64s() }
    }

    /// `tensor(name).uint8s()`, with the tensor's name in any `wrongDType` error.
    public func uint8s(_ name: String) throws -> [UInt8] {
        try named(name) { try $0.uint8s() }
    }

    private func named<T>(_ name: String, _ read: (SafeTensor) throws -> T) throws -> T {
        do {
            return try read(try tensor(name))
        } catch SafeTensorsError.wrongDType(nil, let expected, let actual) {
            throw SafeTensorsError.wrongDType(name: name, expected: expected, actual: actual)
        }
    }

    // MARK: Reading

    /// Reads and validates the file at `path`: the header first, then each tensor straight into its
    /// own buffer, so a checkpoint is copied once from the kernel and never held twice in memory.
    public static func read(from path: String) throws -> SafeTensorsFile {
        let file = try OpenFile(path: path)
        let layout = try Layout(fileSize: file.size) { count in try file.read(count: count, at: 0) }
        var tensors = [String: SafeTensor](minimumCapacity: layout.entries.count)
        for entry in layout.entries {
            let bytes = try file.read(count: entry.end - entry.begin, at: layout.bufferStart + entry.begin)
            // A file that shrank after the header was read is cut short.
            guard bytes.count == entry.end - entry.begin else {
                throw SafeTensorsError.truncated(expected: layout.bufferStart + entry.end,
                                                 actual: layout.bufferStart + entry.begin + bytes.count)
            }
            tensors[entry.name] = SafeTensor(unchecked: entry.dtype, shape: entry.shape, bytes: bytes)
        }
        return SafeTensorsFile(tensors: tensors, metadata: layout.metadata)
    }

    /// Parses a complete safetensors file from `data`, validating everything before copying tensor
    /// bytes. Throws a `SafeTensorsError` for any malformed input; never reads outside `data`.
    public init(data: [UInt8]) throws {
        let layout = try Layout(fileSize: data.count) { count in Array(data[0..<count]) }
        var tensors = [String: SafeTensor](minimumCapacity: layout.entries.count)
        data.withUnsafeBufferPointer { all in
            for entry in layout.entries {
                let bytes = Array(all[(layout.bufferStart + entry.begin)..<(layout.bufferStart + entry.end)])
                tensors[entry.name] = SafeTensor(unchecked: entry.dtype, shape: entry.shape, bytes: bytes)
            }
        }
        self.init(tensors: tensors, metadata: layout.metadata)
    }

    /// What the length prefix and header say, validated against the file size: every entry's span
    /// `bufferStart + [begin, end)` lies inside the file and no two spans overlap.
    private struct Layout {
        let bufferStart: Int
        let entries: [Entry]
        let metadata: [String: String]

        /// `prefix(n)` returns the first `n` bytes of the file (`n ≤ fileSize`).
        init(fileSize: Int, prefix: (Int) throws -> [UInt8]) throws {
            guard fileSize >= 8 else { throw SafeTensorsError.truncated(expected: 8, actual: fileSize) }
            let lengthBytes = try prefix(8)
            guard lengthBytes.count == 8 else {
                throw SafeTensorsError.truncated(expected: 8, actual: lengthBytes.count)
            }
            let announced = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            // Compare as UInt64 before converting, so that 2⁶⁴ − 1 never becomes a negative Int.
            guard announced <= UInt64(SafeTensorsFile.maxHeaderLength) else {
                throw SafeTensorsError.headerTooLarge(length: announced, fileSize: fileSize)
            }
            let headerLength = Int(announced)
            guard headerLength <= fileSize - 8 else {
                throw SafeTensorsError.truncated(expected: 8 + headerLength, actual: fileSize)
            }
            let start = 8 + headerLength
            let head = try prefix(start)
            guard head.count == start else { throw SafeTensorsError.truncated(expected: start, actual: head.count) }
            let json = try head.withUnsafeBufferPointer { all in
                do { return try StrictJSON.parse(UnsafeBufferPointer(rebasing: all[8..<start])) } catch let error as StrictJSON.SyntaxError {
                    throw SafeTensorsError.invalidHeaderJSON(reason: "\(error.reason) at byte \(error.offset) of the header")
                }
            }
            let (entries, metadata) = try SafeTensorsFile.interpretHeader(json)
            try SafeTensorsFile.validateLayout(
                entries, bufferStart: start, bufferSize: fileSize - start, fileSize: fileSize)
            (self.bufferStart, self.entries, self.metadata) = (start, entries, metadata)
        }
    }

    /// One tensor's header entry after validation: `end − begin == shape.product × dtype.byteSize`.
    private struct Entry {
        let name: String
        let dtype: SafeTensorsDType
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    private static func interpretHeader(_ json: JSONValue) throws -> (entries: [Entry], metadata: [String: String]) {
        guard case .object(let members) = json else {
            throw SafeTensorsError.invalidHeaderJSON(reason: "the header is \(json.kind), not an object")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(members.count)
        var metadata: [String: String] = [:]
        for (key, value) in members {
            if key == metadataKey {
                metadata = try interpretMetadata(value)
            } else {
                entries.append(try interpretEntry(name: key, value))
            }
        }
        return (entries, metadata)
    }

    private static func interpretMetadata(_ value: JSONValue) throws -> [String: String] {
        switch value {
        case .null:
            return [:]
        case .object(let members):
            var metadata: [String: String] = [:]
            for (key, value) in members {
                guard case .string(let text) = value else {
                    throw SafeTensorsError.invalidHeaderJSON(
                        reason: "__metadata__ value for \"\(key)\" is \(value.kind); metadata values must be strings")
                }
                metadata[key] = text
            }
            return metadata
        default:
            throw SafeTensorsError.invalidHeaderJSON(
                reason: "__metadata__ is \(value.kind); it must be an object of strings")
        }
    }

    private static func interpretEntry(name: String, _ value: JSONValue) throws -> Entry {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidEntry(name: name, reason: reason) }
        guard case .object(let fields) = value else {
            throw invalid("expected an object with dtype, shape and data_offsets, found \(value.kind)")
        }
        func field(_ key: String) throws -> JSONValue {
            guard let found = fields.first(where: { $0.key == key }) else { throw invalid("missing field \"\(key)\"") }
            return found.value
        }
        func integers(_ key: String) throws -> [Int] {
            let value = try field(key)
            guard case .array(let items) = value else {
                throw invalid("\(key) must be an array of integers, found \(value.kind)")
            }
            return try items.map { item in
                guard case .number(_, let integer?) = item, case let n = integer else {
                    throw invalid("\(key) must be an array of integers, found \(item.kind) in it")
                }
                return n
            }
        }

        let dtypeValue = try field("dtype")
        guard case .string(let dtypeName) = dtypeValue else {
            throw invalid("dtype must be a string, found \(dtypeValue.kind)")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw SafeTensorsError.unsupportedDType(name: name, dtype: dtypeName)
        }
        let shape = try integers("shape")
        let offsets = try integers("data_offsets")
        guard offsets.count == 2 else { throw invalid("data_offsets must have two entries, found \(offsets.count)") }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin >= 0, end >= 0 else { throw invalid("data_offsets \(offsets) must not be negative") }
        guard begin <= end else { throw invalid("data_offsets \(offsets) end before they begin") }
        guard !shape.contains(where: { $0 < 0 }) else {
            throw SafeTensorsError.negativeDimension(name: name, shape: shape)
        }
        guard let byteCount = dtype.byteCount(shape: shape) else {
            throw SafeTensorsError.shapeOverflow(name: name, shape: shape)
        }
        guard byteCount == end - begin else {
            throw SafeTensorsError.sizeMismatch(name: name, expectedBytes: byteCount, actualBytes: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// Rejects overlapping spans, then spans past the buffer. A layout packed from 0 without gaps (as
    /// every writer produces) that runs past the end means the file was cut short: `truncated`.
    private static func validateLayout(_ entries: [Entry], bufferStart: Int, bufferSize: Int, fileSize: Int) throws {
        let spans = entries.filter { $0.end > $0.begin }.sorted {
            ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name)
        }
        var packed = true
        var previous: Entry? = nil
        for span in spans {
            let previousEnd = previous?.end ?? 0
            if let previous, span.begin < previous.end {
                throw SafeTensorsError.overlappingTensors(a: previous.name, b: span.name)
            }
            if span.begin != previousEnd { packed = false }
            previous = span  // sorted and disjoint, so ends increase
        }
        if let last = spans.last, last.end > bufferSize, packed {
            let (expected, overflow) = bufferStart.addingReportingOverflow(last.end)
            if !overflow { throw SafeTensorsError.truncated(expected: expected, actual: fileSize) }
        }
        for entry in entries where entry.end > bufferSize {
            throw SafeTensorsError.offsetsOutOfBounds(
                name: entry.name, begin: entry.begin, end: entry.end, bufferSize: bufferSize)
        }
    }

    // MARK: Writing

    /// Checks that every tensor can be written: its name is not `__metadata__` and its bytes match
    /// its shape and dtype.
    public func validate() throws {
        for name in tensors.keys.sorted() {
            let tensor = tensors[name]!
            if name == Self.metadataKey {
                throw SafeTensorsError.invalidEntry(
                    name: name, reason: "the name is reserved for metadata; rename the tensor")
            }
            if tensor.shape.contains(where: { $0 < 0 }) {
                throw SafeTensorsError.negativeDimension(name: name, shape: tensor.shape)
            }
            guard let byteCount = tensor.dtype.byteCount(shape: tensor.shape) else {
                throw SafeTensorsError.shapeOverflow(name: name, shape: tensor.shape)
            }
            if byteCount != tensor.bytes.count {
                throw SafeTensorsError.sizeMismatch(
                    name: name, expectedBytes: byteCount, actualBytes: tensor.bytes.count)
            }
        }
    }

    /// The file's bytes. Requires `validate()` to pass (stops the program otherwise; `write(to:)`
    /// throws instead).
    public func serialized() -> [UInt8] {
        do { try validate() } catch { fatalError("SafeTensorsFile.serialized(): \(error)") }
        let names = tensors.keys.sorted()
        var header: [UInt8] = [UInt8(ascii: "{")]
        var needsComma = false
        if !metadata.isEmpty {
            appendJSONString(Self.metadataKey, to: &header)
            header.append(contentsOf: ":{".utf8)
            for (index, key) in metadata.keys.sorted().enumerated() {
                if index > 0 { header.append(UInt8(ascii: ",")) }
                appendJSONString(key, to: &header)
                header.append(UInt8(ascii: ":"))
                appendJSONString(metadata[key]!, to: &header)
            }
            header.append(UInt8(ascii: "}"))
            needsComma = true
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            if needsComma { header.append(UInt8(ascii: ",")) }
            needsComma = true
            appendJSONString(name, to: &header)
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            let end = offset + tensor.bytes.count
            let entry = ":{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],"
                + "\"data_offsets\":[\(offset),\(end)]}"
            header.append(contentsOf: entry.utf8)
            offset = end
        }
        header.append(UInt8(ascii: "}"))
        // Pad so the data buffer starts 8-byte aligned, as the reference writer does.
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }

        var file: [UInt8] = []
        file.reserveCapacity(8 + header.count + offset)
        file.append(contentsOf: littleEndianBytes([UInt64(header.count)]))
        file.append(contentsOf: header)
        for name in names { file.append(contentsOf: tensors[name]!.bytes) }
        return file
    }

    /// Writes the file atomically: to a temporary file in the same directory, `fsync`, `rename` over
    /// `path`, then `fsync` the directory. On failure the temporary file is removed and whatever was
    /// at `path` before is left as it was.
    public func write(to path: String) throws {
        try validate()
        do { try AtomicFile.write(serialized(), to: path) } catch {
            throw SafeTensorsError.ioFailure(path: path, reason: "\(error.step): \(String(cString: strerror(error.code)))")
        }
    }
}
