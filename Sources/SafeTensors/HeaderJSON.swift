#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A parsed JSON value; objects keep their key order.
enum HeaderJSON {
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
struct HeaderJSONParser {
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
func appendJSONString(_ text: String, to out: inout [UInt8]) {
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
