/// A parsed JSON value; objects keep their key order, numbers their text.
public enum JSONValue: Sendable, Equatable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// A number as written, and its value when it has no fraction or exponent and fits in `Int`.
    case number(String, integer: Int?)
    case bool(Bool)
    case null

    /// The member `key` of an object (nil for other values or a missing key).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// A number's correctly rounded value.
    public var double: Double? {
        guard case .number(let text, _) = self else { return nil }
        return Double(text)
    }

    /// In words, for error messages: "an object", "the number 3", …
    public var kind: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string(let s): return "the string \"\(s.prefix(40))\""
        case .number(let text, _): return "the number \(text.prefix(40))"
        case .bool(let b): return "\(b)"
        case .null: return "null"
        }
    }

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.array(x), .array(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.number(x, _), .number(y, _)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }
}

/// The one JSON reader: a strict RFC 8259 parser over untrusted bytes (safetensors headers, metrics
/// lines): bounded nesting depth, duplicate keys rejected, strings validated as UTF-8, every read
/// guarded by an explicit bounds check. Numbers keep their text, so they convert with Swift's
/// correctly rounded `Double(_:)` (Foundation's JSON reader on Linux can be off by an ulp, which
/// would break bit-exact round trips of logged metrics).
///
/// ```swift
/// let value = try StrictJSON.parse(Array(#"{"loss": 0.30000000000000004, "shape": [2, 3]}"#.utf8))
/// value["loss"]?.double     // 0.30000000000000004
/// value["shape"]            // .array([.number("2"), .number("3")])
/// ```
public struct StrictJSON {
    static let maxDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// What is wrong with the text, and at which byte.
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var offset: Int
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Parses one value followed only by whitespace (writers pad a safetensors header with spaces).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(SyntaxError) -> JSONValue {
        var parser = StrictJSON(bytes)
        parser.skipWhitespace()
        if parser.i == bytes.count { throw parser.failure("the text is empty") }
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.i != bytes.count { throw parser.failure("unexpected \(parser.current) after the JSON value") }
        return value
    }

    public static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer in Result { () throws(SyntaxError) in try parse(buffer) } }.get()
    }

    private func failure(_ what: String) -> SyntaxError { SyntaxError(reason: what, offset: i) }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private var current: String {
        guard let byte = peek else { return "end of input" }
        return (0x21...0x7E).contains(byte)
            ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { i += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(SyntaxError) {
        guard peek == byte else { throw failure("expected \(what), found \(current)") }
        i += 1
    }

    private mutating func parseValue(depth: Int) throws(SyntaxError) -> JSONValue {
        guard let byte = peek else { throw failure("unexpected end of input") }
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

    private mutating func parseObject(depth: Int) throws(SyntaxError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw failure("JSON nested deeper than \(Self.maxDepth) levels") }
        i += 1  // "{"
        var members: [(key: String, value: JSONValue)] = []
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

    private mutating func parseArray(depth: Int) throws(SyntaxError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw failure("JSON nested deeper than \(Self.maxDepth) levels") }
        i += 1  // "["
        var items: [JSONValue] = []
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

    private mutating func parseLiteral(_ word: StaticString) throws(SyntaxError) {
        let count = word.utf8CodeUnitCount
        guard count <= bytes.count - i else { throw failure("unexpected \(current)") }
        for k in 0..<count where bytes[i + k] != word.utf8Start[k] {
            throw failure("unexpected \(current)")
        }
        i += count
    }

    private mutating func parseNumber() throws(SyntaxError) -> JSONValue {
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
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        if isInteger, let magnitude { return .number(text, integer: negative ? -magnitude : magnitude) }
        return .number(text, integer: nil)
    }

    private mutating func parseString() throws(SyntaxError) -> String {
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

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(SyntaxError) {
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

    private mutating func parseHex4() throws(SyntaxError) -> UInt32 {
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
public func appendJSONString(_ text: String, to out: inout [UInt8]) {
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
