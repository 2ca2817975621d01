#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
