import SafeTensors
import Testing

/// The one JSON reader (safetensors headers, metrics lines): exact numbers, order kept, strict syntax.
@Suite struct StrictJSONTests {
    @Test func numbersKeepTheirTextAndConvertCorrectlyRounded() throws {
        let value = try StrictJSON.parse(Array(#"{"loss": 0.30000000000000004, "n": -12, "big": 99999999999999999999, "e": 1e3}"#.utf8))
        #expect(value["loss"]?.double == 0.30000000000000004)
        #expect(value["n"] == .number("-12", integer: -12))
        guard case .number(_, let big)? = value["big"], case .number(_, let e)? = value["e"] else { Issue.record("\(value)"); return }
        #expect(big == nil && e == nil, "only exact integers that fit in Int carry an integer")
        #expect(value["e"]?.double == 1000)
    }

    @Test func objectsKeepTheirKeyOrder() throws {
        guard case .object(let members) = try StrictJSON.parse(Array(#"{"b": 1, "a": [true, null, "x"]}"#.utf8)) else {
            Issue.record("not an object"); return
        }
        #expect(members.map(\.key) == ["b", "a"])
        #expect(members[1].value == .array([.bool(true), .null, .string("x")]))
    }

    @Test(arguments: [
        (#"{"a": 1, "a": 2}"#, "duplicate key"), (#"{"a": 01}"#, "expected ',' or '}'"), ("[1, 2", "',' or ']'"),
        (#"{"a": "\ud800"}"#, "unpaired surrogate"), ("", "empty"), (#"{"a": 1} x"#, "after the JSON value"),
    ])
    func malformedTextIsRejectedWithTheReasonAndTheByte(text: String, reason: String) {
        do {
            _ = try StrictJSON.parse(Array(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.reason.contains(reason) && error.description.contains("at byte \(error.offset)"), "\(error)")
        }
    }

    @Test func nestingDeeperThanTheLimitIsRejectedNotARecursionCrash() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse(Array(deep.utf8)) }
    }
}
