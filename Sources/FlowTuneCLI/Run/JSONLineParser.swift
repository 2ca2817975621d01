/// A strict parser for one JSON object per line, keeping numbers as their text so they convert
/// with Swift's correctly rounded `Double(_:)` (Foundation's JSON reader on Linux can be off by
/// an ulp, which would break bit-exact round trips of logged metrics).
///
/// ```swift
/// let fields = JSONLineParser.parseObject(Array(#"{"iteration":3,"loss":0.30000000000000004}"#.utf8))
/// fields?["loss"]     // .number("0.30000000000000004")
/// ```
///
/// Values that are arrays or objects are checked for syntax and reported as `.nested`.
/// Any syntax error, or text after the object, gives nil.
public enum JSONLineParser {
    public enum Value: Equatable, Sendable {
        case number(String)
        case string(String)
        case bool(Bool)
        case null
        case nested
    }

    public static func parseObject(_ bytes: [UInt8]) -> [String: Value]? {
        var parser = Parser(bytes: bytes)
        parser.skipSpace()
        guard let object = parser.object() else { return nil }
        parser.skipSpace()
        return parser.index == bytes.count ? object : nil
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func object() -> [String: Value]? {
            guard consume(UInt8(ascii: "{")) else { return nil }
            var result: [String: Value] = [:]
            skipSpace()
            if consume(UInt8(ascii: "}")) { return result }
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard consume(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard let value = value() else { return nil }
                result[key] = value
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                return consume(UInt8(ascii: "}")) ? result : nil
            }
        }

        mutating func array() -> Bool {
            guard consume(UInt8(ascii: "[")) else { return false }
            skipSpace()
            if consume(UInt8(ascii: "]")) { return true }
            while true {
                skipSpace()
                guard value() != nil else { return false }
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                return consume(UInt8(ascii: "]"))
            }
        }

        mutating func value() -> Value? {
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""): return string().map(Value.string)
            case UInt8(ascii: "{"): return object() == nil ? nil : .nested
            case UInt8(ascii: "["): return array() ? .nested : nil
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            default: return number().map(Value.number)
            }
        }

        mutating func literal(_ word: String) -> Bool {
            let utf8 = Array(word.utf8)
            guard index + utf8.count <= bytes.count, Array(bytes[index..<index + utf8.count]) == utf8 else { return false }
            index += utf8.count
            return true
        }

        /// JSON's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        mutating func number() -> String? {
            let start = index
            _ = consume(UInt8(ascii: "-"))
            func digits() -> Int {
                let s = index
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
                return index - s
            }
            if consume(UInt8(ascii: "0")) {
            } else if digits() == 0 {
                return nil
            }
            if consume(UInt8(ascii: ".")), digits() == 0 { return nil }
            if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
                if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
                if digits() == 0 { return nil }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func string() -> String? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() {
                scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                raw.removeAll()
            }
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    flush()
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    flush()
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        guard var code = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(code) {
                            // A surrogate pair: \uD83D\uDE00.
                            guard literal("\\u"), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { return nil }
                        scalars.append(scalar)
                    default: return nil
                    }
                default:
                    if byte < 0x20 { return nil }
                    raw.append(byte)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            let text = String(decoding: bytes[index..<index + 4], as: UTF8.self)
            guard let value = UInt32(text, radix: 16) else { return nil }
            index += 4
            return value
        }
    }
}
