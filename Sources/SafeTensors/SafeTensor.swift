#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
func halfToFloat(_ h: UInt16) -> Float {
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
func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    #if _endian(little)
    return values.withUnsafeBytes { Array($0) }
    #else
    return values.map(\.littleEndian).withUnsafeBytes { Array($0) }
    #endif
}

/// `bytes` read as little-endian `T`s (trailing bytes that do not fill a `T` are ignored).
func decodeLittleEndian<T: FixedWidthInteger & BitwiseCopyable>(_ bytes: [UInt8], as _: T.Type) -> [T] {
    var values = copyBytes(bytes, as: T.self)
    #if _endian(big)
    for i in values.indices { values[i] = T(littleEndian: values[i]) }
    #endif
    return values
}

/// `bytes` reinterpreted as `T`s in host byte order with one bulk copy.
func copyBytes<T: BitwiseCopyable>(_ bytes: [UInt8], as _: T.Type) -> [T] {
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
