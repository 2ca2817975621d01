/// CRC-32C (Castagnoli), the checksum of TFRecord framing, and TensorFlow's "masked" form of it.
///
/// ```swift
/// CRC32C.checksum(Array("123456789".utf8))   // 0xE306_9283 (the standard check value)
/// CRC32C.masked(Array("123456789".utf8))     // ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
/// ```
///
/// Reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF, one table lookup per byte.
public enum CRC32C {
    static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// TensorFlow masks stored CRCs so that a CRC of data that itself contains CRCs stays informative.
    public static func masked<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
