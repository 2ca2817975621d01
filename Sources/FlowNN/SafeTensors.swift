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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Element types

/// The element types FlowTune reads from a safetensors file, spelled as in the header.
///
/// ```swift
/// let dtype = SafeTensorsDType(rawValue: "BF16")   // .bf16
/// dtype?.byteSize                                   // 2
/// ```
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
    case i64 = "I64", i32 = "I32", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16: return 2
        case .u8, .bool: return 1
        }
    }

    /// `shape.product × byteSize`, or nil when a dimension is negative or the product overflows `Int`.
    /// An empty shape is a scalar (one element).
    func byteCount(shape: [Int]) -> Int? {
        var count = byteSize
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    static let floatingPoint: [SafeTensorsDType] = [.f32, .f16, .bf16, .f64]
    static let integer: [SafeTensorsDType] = [.i64, .i32, .u8, .bool]
    static let bytes: [SafeTensorsDType] = [.u8, .bool]
}

// MARK: - One tensor

/// One tensor of a safetensors file: a dtype, a row-major shape and the raw little-endian bytes.
///
/// ```swift
/// let w = SafeTensor(floats: [1, 2, 3, 4, 5, 6], shape: [2, 3])   // F32, 24 bytes
/// let back = try w.floats()                                       // [1, 2, 3, 4, 5, 6]
/// let steps = SafeTensor(int64s: [1000], shape: [])                // an I64 scalar
/// ```
///
/// The initialisers guarantee `bytes.count == shape.product × dtype.byteSize`; changing the stored
/// properties so that this no longer holds is a programmer error that the accessors and
/// `SafeTensorsFile.serialized()` stop on (`SafeTensorsFile.write(to:)` throws instead).
public struct SafeTensor: Sendable, Equatable {
    public var dtype: SafeTensorsDType
    public var shape: [Int]
    public var bytes: [UInt8]

    /// A tensor of any dtype from its raw little-endian bytes (e.g. F16 data prepared elsewhere).
    public init(dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
        Self.requireMatchingSize(bytes.count, bytesPerElement: 1, dtype: dtype, shape: shape)
        self.init(unchecked: dtype, shape: shape, bytes: bytes)
    }

    /// An F32 tensor; `floats.count` must equal the product of `shape`.
    public init(floats: [Float], shape: [Int]) {
        Self.requireMatchingSize(floats.count, bytesPerElement: 4, dtype: .f32, shape: shape)
        #if _endian(little)
        self.init(unchecked: .f32, shape: shape, bytes: floats.withUnsafeBytes { Array($0) })
        #else
        self.init(unchecked: .f32, shape: shape, bytes: littleEndianBytes(floats.map(\.bitPattern)))
        #endif
    }

    /// An I64 tensor; `int64s.count` must equal the product of `shape`.
    public init(int64s: [Int64], shape: [Int]) {
        Self.requireMatchingSize(int64s.count, bytesPerElement: 8, dtype: .i64, shape: shape)
        self.init(unchecked: .i64, shape: shape, bytes: littleEndianBytes(int64s))
    }

    /// A U8 tensor; `uint8s.count` must equal the product of `shape`.
    public init(uint8s: [UInt8], shape: [Int]) {
        Self.requireMatchingSize(uint8s.count, bytesPerElement: 1, dtype: .u8, shape: shape)
        self.init(unchecked: .u8, shape: shape, bytes: uint8s)
    }

    init(unchecked dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// The number of elements, the product of `shape`.
    public var count: Int { bytes.count / dtype.byteSize }

    /// The values as `Float`: F32 exactly, F16 and BF16 exactly (they widen without rounding), F64
    /// rounded to nearest. Throws `wrongDType` for integer dtypes.
    public func floats() throws -> [Float] {
        requireConsistent()
        let n = count
        switch dtype {
        case .f32:
            #if _endian(little)
            return copyBytes(bytes, as: Float.self)
            #else
            return decodeLittleEndian(bytes, as: UInt32.self).map { Float(bitPattern: $0) }
            #endif
        case .f16:
            return convertElements(n, of: UInt16.self) { halfToFloat($0) }
        case .bf16:
            // bfloat16 is the top half of an IEEE float32 (same exponent range), so widening is a shift.
            return convertElements(n, of: UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
        case .f64:
            return convertElements(n, of: UInt64.self) { Float(Double(bitPattern: $0)) }
        case .i64, .i32, .u8, .bool:
            throw SafeTensorsError.wrongDType(name: nil, expected: SafeTensorsDType.floatingPoint, actual: dtype)
        }
    }

    /// The values as `Int64`: I64 exactly, I32 and U8 widened, BOOL as 0 or 1. Throws `wrongDType`
    /// for floating-point dtypes.
    public func int64s() throws -> [Int64] {
        requireConsistent()
        let n = count
        switch dtype {
        case .i64:
            return decodeLittleEndian(bytes, as: Int64.self)
        case .i32:
            return convertElements(n, of: UInt32.self) { Int64(Int32(bitPattern: $0)) }
        case .u8:
            return convertElements(n, of: UInt8.self) { Int64($0) }
        case .bool:
            return convertElements(n, of: UInt8.self) { $0 == 0 ? 0 : 1 }
        case .f32, .f16, .bf16, .f64:
            throw SafeTensorsError.wrongDType(name: nil, expected: SafeTensorsDType.integer, actual: dtype)
        }
    }

    /// The values as bytes: U8 as stored, BOOL as 0 or 1. Throws `wrongDType` for other dtypes.
    public func uint8s() throws -> [UInt8] {
        requireConsistent()
        switch dtype {
        case .u8:
            return bytes
        case .bool:
            return bytes.map { $0 == 0 ? 0 : 1 }
        case .f32, .f16, .bf16, .f64, .i64, .i32:
            throw SafeTensorsError.wrongDType(name: nil, expected: SafeTensorsDType.bytes, actual: dtype)
        }
    }

    /// Reads `n` little-endian elements of type `Raw` from `bytes` and converts each one.
    private func convertElements<Raw: FixedWidthInteger, Value>(
        _ n: Int, of _: Raw.Type, _ convert: (Raw) -> Value
    ) -> [Value] {
        let stride = MemoryLayout<Raw>.size
        return bytes.withUnsafeBytes { raw in
            [Value](unsafeUninitializedCapacity: n) { out, initialized in
                for i in 0..<n {
                    let word = Raw(littleEndian: raw.loadUnaligned(fromByteOffset: i * stride, as: Raw.self))
                    (out.baseAddress! + i).initialize(to: convert(word))
                }
                initialized = n
            }
        }
    }

    private static func requireMatchingSize(
        _ count: Int, bytesPerElement: Int, dtype: SafeTensorsDType, shape: [Int]
    ) {
        let expected = dtype.byteCount(shape: shape)
        let (actual, overflow) = count.multipliedReportingOverflow(by: bytesPerElement)
        if overflow || expected != actual {
            fatalError("SafeTensor: \(count) values (\(bytesPerElement) bytes each) do not fill shape \(shape) "
                + "of dtype \(dtype.rawValue); pass as many values as the shape has elements")
        }
    }

    private func requireConsistent() {
        if dtype.byteCount(shape: shape) != bytes.count {
            fatalError("SafeTensor: \(bytes.count) bytes do not match shape \(shape) of dtype \(dtype.rawValue); "
                + "keep `bytes` and `shape` in step when mutating them")
        }
    }
}

/// IEEE binary16 → binary32. Every half is exactly representable as a float.
@inline(__always)
private func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x03FF)
    if exponent == 0 {
        // Zero or subnormal: mantissa × 2⁻²⁴, exact in float32.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    if exponent == 0x1F {
        // Infinity or NaN; the NaN payload (and its quiet bit) moves to the top of the float mantissa.
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    // Normal: rebias the exponent from 15 to 127.
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

/// `values` as little-endian bytes.
private func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    #if _endian(little)
    return values.withUnsafeBytes { Array($0) }
    #else
    return values.map(\.littleEndian).withUnsafeBytes { Array($0) }
    #endif
}

/// `bytes` read as little-endian `T`s (trailing bytes that do not fill a `T` are ignored).
private func decodeLittleEndian<T: FixedWidthInteger & BitwiseCopyable>(_ bytes: [UInt8], as _: T.Type) -> [T] {
    var values = copyBytes(bytes, as: T.self)
    #if _endian(big)
    for i in values.indices { values[i] = T(littleEndian: values[i]) }
    #endif
    return values
}

/// `bytes` reinterpreted as `T`s in host byte order with one bulk copy.
private func copyBytes<T: BitwiseCopyable>(_ bytes: [UInt8], as _: T.Type) -> [T] {
    let n = bytes.count / MemoryLayout<T>.stride
    return [T](unsafeUninitializedCapacity: n) { out, initialized in
        if n > 0 {
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(out).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: raw[0..<(n * MemoryLayout<T>.stride)]))
            }
        }
        initialized = n
    }
}

// MARK: - A whole file

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
                try HeaderJSONParser.parse(UnsafeBufferPointer(rebasing: all[8..<start]))
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

    private static func interpretHeader(_ json: HeaderJSON) throws -> (entries: [Entry], metadata: [String: String]) {
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

    private static func interpretMetadata(_ value: HeaderJSON) throws -> [String: String] {
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

    private static func interpretEntry(name: String, _ value: HeaderJSON) throws -> Entry {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidEntry(name: name, reason: reason) }
        guard case .object(let fields) = value else {
            throw invalid("expected an object with dtype, shape and data_offsets, found \(value.kind)")
        }
        func field(_ key: String) throws -> HeaderJSON {
            guard let found = fields.first(where: { $0.key == key }) else { throw invalid("missing field \"\(key)\"") }
            return found.value
        }
        func integers(_ key: String) throws -> [Int] {
            let value = try field(key)
            guard case .array(let items) = value else {
                throw invalid("\(key) must be an array of integers, found \(value.kind)")
            }
            return try items.map { item in
                guard case .integer(let n) = item else {
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
        try writeFileAtomically(serialized(), to: path)
    }
}

// MARK: - JSON header

/// A parsed JSON value; objects keep their key order.
private enum HeaderJSON {
    case object([(key: String, value: HeaderJSON)])
    case array([HeaderJSON])
    case string(String)
    /// A number without fraction or exponent that fits in `Int`.
    case integer(Int)
    /// Any other number, kept as written (for messages).
    case otherNumber(String)
    case bool(Bool)
    case null

    var kind: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string(let s): return "the string \"\(s.prefix(40))\""
        case .integer(let n): return "the number \(n)"
        case .otherNumber(let text): return "the number \(text.prefix(40))"
        case .bool(let b): return "\(b)"
        case .null: return "null"
        }
    }
}

/// A strict RFC 8259 parser over untrusted bytes: bounded nesting depth, duplicate keys rejected,
/// strings validated as UTF-8, every read guarded by an explicit bounds check.
private struct HeaderJSONParser {
    static let maxDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Parses one value followed only by whitespace (writers pad the header with spaces).
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws -> HeaderJSON {
        var parser = HeaderJSONParser(bytes)
        parser.skipWhitespace()
        if parser.i == bytes.count { throw parser.failure("the header is empty") }
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.i != bytes.count { throw parser.failure("unexpected \(parser.current) after the JSON value") }
        return value
    }

    private func failure(_ what: String) -> SafeTensorsError {
        .invalidHeaderJSON(reason: "\(what) at byte \(i) of the header")
    }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private var current: String {
        guard let byte = peek else { return "end of header" }
        return (0x21...0x7E).contains(byte)
            ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { i += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard peek == byte else { throw failure("expected \(what), found \(current)") }
        i += 1
    }

    private mutating func parseValue(depth: Int) throws -> HeaderJSON {
        guard let byte = peek else { throw failure("unexpected end of header") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        default: throw failure("unexpected \(current)")
        }
    }

    private mutating func parseObject(depth: Int) throws -> HeaderJSON {
        guard depth <= Self.maxDepth else { throw failure("JSON nested deeper than \(Self.maxDepth) levels") }
        i += 1  // "{"
        var members: [(key: String, value: HeaderJSON)] = []
        var seen = Set<String>()
        skipWhitespace()
        if peek == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { throw failure("expected a quoted key, found \(current)") }
            let key = try parseString()
            guard seen.insert(key).inserted else { throw failure("duplicate key \"\(key.prefix(80))\"") }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            members.append((key, try parseValue(depth: depth)))
            skipWhitespace()
            if peek == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}'")
            return .object(members)
        }
    }

    private mutating func parseArray(depth: Int) throws -> HeaderJSON {
        guard depth <= Self.maxDepth else { throw failure("JSON nested deeper than \(Self.maxDepth) levels") }
        i += 1  // "["
        var items: [HeaderJSON] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            if peek == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            return .array(items)
        }
    }

    private mutating func parseLiteral(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard count <= bytes.count - i else { throw failure("unexpected \(current)") }
        for k in 0..<count where bytes[i + k] != word.utf8Start[k] {
            throw failure("unexpected \(current)")
        }
        i += count
    }

    private mutating func parseNumber() throws -> HeaderJSON {
        let start = i
        let negative = peek == UInt8(ascii: "-")
        if negative { i += 1 }
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { (0x30...0x39).contains($0) } ?? false }
        guard isDigit(peek) else { throw failure("invalid number") }
        var magnitude: Int? = 0
        if peek == UInt8(ascii: "0") {
            i += 1
        } else {
            while let byte = peek, isDigit(byte) {
                if let m = magnitude {
                    let (times10, o1) = m.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = times10.addingReportingOverflow(Int(byte - 0x30))
                    magnitude = o1 || o2 ? nil : sum
                }
                i += 1
            }
        }
        var isInteger = true
        if peek == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard isDigit(peek) else { throw failure("invalid number") }
            while isDigit(peek) { i += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            guard isDigit(peek) else { throw failure("invalid number") }
            while isDigit(peek) { i += 1 }
        }
        if isInteger, let magnitude { return .integer(negative ? -magnitude : magnitude) }
        return .otherNumber(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
    }

    private mutating func parseString() throws -> String {
        i += 1  // opening quote
        var utf8: [UInt8] = []
        while true {
            guard let byte = peek else { throw failure("unterminated string") }
            i += 1
            switch byte {
            case UInt8(ascii: "\""):
                let text = String(decoding: utf8, as: UTF8.self)
                // Decoding replaces ill-formed UTF-8 with U+FFFD; a changed byte sequence means it was ill-formed.
                guard text.utf8.elementsEqual(utf8) else { throw failure("string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0x00..<0x20:
                throw failure("unescaped control character in a string")
            default:
                utf8.append(byte)
            }
        }
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws {
        guard let byte = peek else { throw failure("unterminated string") }
        i += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            let unpaired = failure("unpaired surrogate \\u\(String(scalar, radix: 16))")
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate (RFC 8259 §7).
                guard peek == UInt8(ascii: "\\") else { throw unpaired }
                i += 1
                guard peek == UInt8(ascii: "u") else { throw unpaired }
                i += 1
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw unpaired }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw unpaired }
            UTF8.encode(unicode) { utf8.append($0) }
        default:
            throw failure("invalid escape '\\\(Character(Unicode.Scalar(byte)))'")
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard bytes.count - i >= 4 else { throw failure("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[i]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            i += 1
        }
        return value
    }
}

/// Appends `text` as a JSON string literal (RFC 8259 §7: escape quote, backslash, controls).
private func appendJSONString(_ text: String, to out: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    out.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
        case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
        case 0x0A: out.append(contentsOf: "\\n".utf8)
        case 0x0D: out.append(contentsOf: "\\r".utf8)
        case 0x09: out.append(contentsOf: "\\t".utf8)
        case 0x00..<0x20: out.append(contentsOf: "\\u00".utf8 + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        default: out.append(byte)
        }
    }
    out.append(UInt8(ascii: "\""))
}

// MARK: - POSIX file I/O

private func errorMessage(_ code: Int32) -> String { String(cString: strerror(code)) }

/// A file open for reading; closed when the value goes away.
private final class OpenFile {
    let path: String
    let size: Int
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT { throw SafeTensorsError.fileNotFound(path: path) }
            throw SafeTensorsError.ioFailure(path: path, reason: errorMessage(code))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw SafeTensorsError.ioFailure(path: path, reason: errorMessage(code))
        }
        size = Int(info.st_size)
        // Directories open fine but cannot be read; find out now rather than report a truncated file.
        var probe: UInt8 = 0
        if pread(fd, &probe, 1, 0) < 0 {
            let code = errno
            close(fd)
            throw SafeTensorsError.ioFailure(path: path, reason: errorMessage(code))
        }
    }

    deinit { close(fd) }

    /// Up to `count` bytes from `offset`; fewer only if the file ends first.
    func read(count: Int, at offset: Int) throws -> [UInt8] {
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            while initialized < count {
                let n = pread(fd, buffer.baseAddress! + initialized, count - initialized, off_t(offset + initialized))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { return }
                initialized += n
            }
        }
        if failure != 0 { throw SafeTensorsError.ioFailure(path: path, reason: errorMessage(failure)) }
        return bytes
    }
}

/// Temporary file, `fsync`, `rename`, directory `fsync` — the standard recipe for a file that is
/// either entirely old or entirely new after a crash.
private func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    func failure(_ code: Int32, _ step: String) -> SafeTensorsError {
        .ioFailure(path: path, reason: "\(step): \(errorMessage(code))")
    }
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    let baseName = slash.map { String(path[path.index(after: $0)...]) } ?? path
    let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
    // Keep the name under NAME_MAX (255) even for long destination names.
    let temporary = "\(directory)/.\(baseName.prefix(150)).tmp-\(getpid())-\(suffix)"

    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    if fd < 0 { throw failure(errno, "cannot create a temporary file in \(directory)") }
    var code: Int32 = 0
    var step = ""
    bytes.withUnsafeBytes { raw in
        var written = 0
        while written < raw.count {
            let n = write(fd, raw.baseAddress! + written, raw.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                (code, step) = (errno, "write failed")
                return
            }
            written += n
        }
    }
    if code == 0, fsync(fd) != 0 { (code, step) = (errno, "fsync failed") }
    if close(fd) != 0, code == 0 { (code, step) = (errno, "close failed") }
    if code == 0, rename(temporary, path) != 0 { (code, step) = (errno, "cannot replace the file") }
    if code != 0 {
        unlink(temporary)
        throw failure(code, step)
    }
    // Make the rename itself durable. Some file systems cannot fsync a directory (EINVAL); the file
    // is in place either way.
    let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directoryFD >= 0 {
        let synced = fsync(directoryFD) == 0 ? 0 : errno
        close(directoryFD)
        if synced != 0 && synced != EINVAL { throw failure(synced, "fsync of the directory failed") }
    }
}
