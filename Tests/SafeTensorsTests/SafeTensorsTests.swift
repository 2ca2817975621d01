import Foundation
import FlowTestSupport
import Testing
import FlowTensor
import SafeTensors

// safetensors checkpoint I/O: round trips, the half-precision decoders, one typed error per kind of
// corruption, a seeded mutation fuzzer, atomic writes, and interop with Python's `safetensors`.

@Suite struct SafeTensorsTests {

    // MARK: Round trips

    @Test func roundTripThroughDiskIsBitIdentical() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("ckpt.safetensors")
        let original = Fixtures.sample()
        try original.write(to: path)
        let read = try SafeTensorsFile.read(from: path)

        #expect(read == original)
        #expect(read.metadata == original.metadata)
        for name in original.tensors.keys {
            #expect(read.tensors[name]?.bytes == original.tensors[name]?.bytes, "tensor \(name)")
            #expect(read.tensors[name]?.shape == original.tensors[name]?.shape, "tensor \(name)")
            #expect(read.tensors[name]?.dtype == original.tensors[name]?.dtype, "tensor \(name)")
        }
        #expect(try read.floats("special").map(\.bitPattern) == Fixtures.specialFloats.map(\.bitPattern))
        #expect(try read.int64s("step") == [Int64.min, -1, 0, 123_456_789_012, Int64.max])
        #expect(try read.uint8s("mask") == Array(0...255))
        #expect(try read.tensor("scalar").shape == [])
        #expect(try read.floats("empty") == [])
        #expect(try directory.contents() == ["ckpt.safetensors"])
    }

    @Test func serializedHeaderIsSortedPackedAndSpacePaddedToMultipleOf8() throws {
        let file = Fixtures.sample()
        let bytes = file.serialized()
        let length = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(length % 8 == 0)
        let header = try #require(String(bytes: bytes[8..<(8 + length)], encoding: .utf8))
        #expect(header.hasPrefix("{\"__metadata__\":"))
        #expect(header.trimmingCharacters(in: .init(charactersIn: " ")).hasSuffix("}"))

        let json = try #require(try JSONSerialization.jsonObject(with: Data(header.utf8)) as? [String: Any])
        #expect(json["__metadata__"] as? [String: String] == file.metadata)
        // Tensors appear in sorted-name order and are packed back to back from offset 0.
        let names = file.tensors.keys.sorted()
        let positions = names.map { header.range(of: "\"\($0)\":{")!.lowerBound }
        #expect(positions == positions.sorted())
        var offset = 0
        for name in names {
            let entry = try #require(json[name] as? [String: Any])
            let offsets = try #require(entry["data_offsets"] as? [Int])
            #expect(offsets == [offset, offset + file.tensors[name]!.bytes.count], "tensor \(name)")
            offset = offsets[1]
        }
        #expect(bytes.count == 8 + length + offset)
    }

    @Test func halfAndBFloat16BytesDecodeToExpectedFloats() throws {
        // (bits, value) pairs checked against numpy: float16(0.333) = 0x3554, bfloat16(0.333) = 0x3EAA.
        let half: [(UInt16, Float)] = [
            (0x3C00, 1.0), (0xC100, -2.5), (0x3554, 0.3330078125), (0x7C00, .infinity), (0xFC00, -.infinity),
            (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24), (0x7BFF, 65504), (0x8000, -0.0), (0x0000, 0),
        ]
        let bfloat: [(UInt16, Float)] = [
            (0x3F80, 1.0), (0xC020, -2.5), (0x3EAA, 0.33203125), (0x7F80, .infinity), (0xFF80, -.infinity),
            (0x0001, 0x1p-133), (0x8000, -0.0), (0x7F7F, Float(bitPattern: 0x7F7F_0000)),
        ]
        let halfBytes = Fixtures.littleEndian16((half.map(\.0)) + [0x7E00])
        let bfloatBytes = Fixtures.littleEndian16(bfloat.map(\.0) + [0x7FC0])
        let header = """
            {"h":{"dtype":"F16","shape":[\(half.count + 1)],"data_offsets":[0,\(halfBytes.count)]},\
            "b":{"dtype":"BF16","shape":[\(bfloat.count + 1)],"data_offsets":[\(halfBytes.count),\
            \(halfBytes.count + bfloatBytes.count)]}}
            """
        let file = try SafeTensorsFile(data: Fixtures.file(header: header, buffer: halfBytes + bfloatBytes))

        let h = try file.floats("h")
        #expect(h.dropLast().map(\.bitPattern) == half.map(\.1.bitPattern))
        #expect(h.last?.isNaN == true)
        let b = try file.floats("b")
        #expect(b.dropLast().map(\.bitPattern) == bfloat.map(\.1.bitPattern))
        #expect(b.last?.isNaN == true)
        #expect(try file.tensor("h").dtype == .f16)
        #expect(try file.tensor("b").dtype == .bf16)
    }

    @Test func doubleAndNarrowIntegerDTypesWiden() throws {
        let doubles: [Double] = [0.1, -3.5, 1e300, -1e-50, 0]
        let int32s: [Int32] = [-1, .max, .min, 7]
        let bools: [UInt8] = [0, 1, 2, 0]
        let f64 = doubles.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        let i32 = int32s.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        let header = """
            {"d":{"dtype":"F64","shape":[5],"data_offsets":[0,40]},\
            "i":{"dtype":"I32","shape":[2,2],"data_offsets":[40,56]},\
            "z":{"dtype":"BOOL","shape":[4],"data_offsets":[56,60]}}
            """
        let file = try SafeTensorsFile(data: Fixtures.file(header: header, buffer: f64 + i32 + bools))
        #expect(try file.floats("d") == [Float(0.1 as Double), -3.5, .infinity, -0.0, 0])
        #expect(try file.int64s("i") == int32s.map(Int64.init))
        #expect(try file.int64s("z") == [0, 1, 1, 0])
        #expect(try file.uint8s("z") == [0, 1, 1, 0])
    }

    // MARK: Corrupt input: one typed error per kind

    @Test func truncatedFileThrowsTruncatedAtEveryCutPoint() throws {
        let full = Fixtures.sample().serialized()
        let headerLength = full[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        for cut in 0..<full.count {
            let expected: SafeTensorsError =
                cut < 8 ? .truncated(expected: 8, actual: cut)
                : cut < 8 + headerLength ? .truncated(expected: 8 + headerLength, actual: cut)
                : .truncated(expected: full.count, actual: cut)
            #expect(throws: expected, "cut at \(cut)") { try SafeTensorsFile(data: Array(full[0..<cut])) }
        }
    }

    @Test func headerThatLiesAboutSizesThrowsSizeMismatch() {
        let buffer = [UInt8](repeating: 0, count: 24)
        let short = #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#
        #expect(throws: SafeTensorsError.sizeMismatch(name: "w", expectedBytes: 24, actualBytes: 20)) {
            try SafeTensorsFile(data: Fixtures.file(header: short, buffer: buffer))
        }
        let long = #"{"w":{"dtype":"I64","shape":[2],"data_offsets":[0,24]}}"#
        #expect(throws: SafeTensorsError.sizeMismatch(name: "w", expectedBytes: 16, actualBytes: 24)) {
            try SafeTensorsFile(data: Fixtures.file(header: long, buffer: buffer))
        }
    }

    @Test func lengthPrefixThatLiesThrowsInvalidHeaderJSON() {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let one: [UInt8] = [0x00, 0x00, 0x80, 0x3F]
        let count = header.utf8.count
        for claimed in [count - 1, count - 10, 1, count + 1, count + 3] {
            let error = Fixtures.parseError(Fixtures.file(header: header, buffer: one, length: UInt64(claimed)))
            #expect(error?.caseName == "invalidHeaderJSON", "claimed header length \(claimed) of \(count)")
        }
    }

    @Test func offsetsBeyondBufferThrowOffsetsOutOfBounds() {
        let buffer = [UInt8](repeating: 0, count: 8)
        let cases: [(String, SafeTensorsError)] = [
            // A gap before the out-of-range tensor: the header is wrong, not the file cut short.
            (Fixtures.header(("a", "F32", [2], [0, 8]), ("b", "F32", [2], [100, 108])),
             .offsetsOutOfBounds(name: "b", begin: 100, end: 108, bufferSize: 8)),
            (Fixtures.header(("a", "F32", [2], [4, 12])),
             .offsetsOutOfBounds(name: "a", begin: 4, end: 12, bufferSize: 8)),
            (Fixtures.header(("a", "F32", [0], [50, 50])),
             .offsetsOutOfBounds(name: "a", begin: 50, end: 50, bufferSize: 8)),
            (Fixtures.header(("a", "U8", [8], [Int.max - 8, Int.max])),
             .offsetsOutOfBounds(name: "a", begin: .max - 8, end: .max, bufferSize: 8)),
        ]
        for (header, expected) in cases {
            #expect(throws: expected, "\(header)") {
                try SafeTensorsFile(data: Fixtures.file(header: header, buffer: buffer))
            }
        }
    }

    @Test func overlappingTensorsThrowOverlappingTensors() {
        let buffer = [UInt8](repeating: 0, count: 24)
        let partial = Fixtures.header(("b", "F32", [4], [8, 24]), ("a", "F32", [4], [0, 16]))
        #expect(throws: SafeTensorsError.overlappingTensors(a: "a", b: "b")) {
            try SafeTensorsFile(data: Fixtures.file(header: partial, buffer: buffer))
        }
        let same = Fixtures.header(("y", "U8", [8], [0, 8]), ("x", "I64", [], [0, 8]))
        #expect(throws: SafeTensorsError.overlappingTensors(a: "x", b: "y")) {
            try SafeTensorsFile(data: Fixtures.file(header: same, buffer: buffer))
        }
        // Empty tensors own no bytes, so two at the same offset do not overlap.
        let empties = Fixtures.header(("p", "F32", [0], [4, 4]), ("q", "F32", [0, 3], [4, 4]))
        #expect(throws: Never.self) { try SafeTensorsFile(data: Fixtures.file(header: empties, buffer: buffer)) }
    }

    @Test func absurdHeaderLengthThrowsHeaderTooLargeBeforeAllocating() {
        let body = Array(#"{"__metadata__":{"a":"b"}}"#.utf8)
        for length: UInt64 in [.max, 1 << 40, 1 << 63, 100_000_001] {
            var bytes = Fixtures.littleEndian64(length)
            bytes += body
            #expect(throws: SafeTensorsError.headerTooLarge(length: length, fileSize: bytes.count)) {
                try SafeTensorsFile(data: bytes)
            }
        }
        // At the limit the length is plausible, so a short file is reported as truncated.
        let atLimit = Fixtures.littleEndian64(100_000_000) + body
        #expect(throws: SafeTensorsError.truncated(expected: 100_000_008, actual: atLimit.count)) {
            try SafeTensorsFile(data: atLimit)
        }
    }

    @Test func accessorForWrongDTypeThrowsWrongDType() throws {
        let file = Fixtures.sample()
        let floating: [SafeTensorsDType] = [.f32, .f16, .bf16, .f64]
        let integer: [SafeTensorsDType] = [.i64, .i32, .u8, .bool]
        #expect(throws: SafeTensorsError.wrongDType(name: "step", expected: floating, actual: .i64)) {
            try file.floats("step")
        }
        #expect(throws: SafeTensorsError.wrongDType(name: "policy.w", expected: integer, actual: .f32)) {
            try file.int64s("policy.w")
        }
        #expect(throws: SafeTensorsError.wrongDType(name: "step", expected: [.u8, .bool], actual: .i64)) {
            try file.uint8s("step")
        }
        #expect(throws: SafeTensorsError.wrongDType(name: nil, expected: floating, actual: .u8)) {
            try file.tensor("mask").floats()
        }
    }

    @Test func unknownDTypeStringThrowsUnsupportedDType() {
        for dtype in ["F8_E4M3", "I8", "U16", "Q4", "f32", ""] {
            let header = #"{"w":{"dtype":"\#(dtype)","shape":[1],"data_offsets":[0,1]}}"#
            #expect(throws: SafeTensorsError.unsupportedDType(name: "w", dtype: dtype)) {
                try SafeTensorsFile(data: Fixtures.file(header: header, buffer: [0]))
            }
        }
    }

    @Test func missingTensorThrowsMissingTensorListingAvailableNames() {
        let file = Fixtures.sample()
        let available = file.tensors.keys.sorted()
        #expect(throws: SafeTensorsError.missingTensor(name: "policy.v", available: available)) {
            try file.tensor("policy.v")
        }
        #expect(throws: SafeTensorsError.missingTensor(name: "x", available: available)) { try file.floats("x") }
        #expect(throws: SafeTensorsError.missingTensor(name: "x", available: [])) { try SafeTensorsFile().tensor("x") }
    }

    @Test func nonJSONHeaderThrowsInvalidHeaderJSON() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let headers: [[UInt8]] = [
            Array("not json at all".utf8),
            Array(#"{"a": "#.utf8),
            Array("{'a': 1}".utf8),
            [0xFF, 0xFE, 0x7B, 0x7D],
            [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x6E, 0x75, 0x6C, 0x6C, 0x7D],  // {"<bad UTF-8>":null}
            Array(#"{"__metadata__":{}} trailing"#.utf8),
            Array(#"{"__metadata__":{"k":"\ud800"}}"#.utf8),                       // lone surrogate
            Array(#"{"__metadata__":{"k":"a\qb"}}"#.utf8),                          // bad escape
            Array("{\"__metadata__\":{\"k\":\"tab\there\"}}".utf8),                 // raw control char
            Array(#"{"__metadata__":{"k":"v","k":"w"}}"#.utf8),                     // duplicate key
            Array(#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{}}"#.utf8),
            Array(#"{"__metadata__":{"k":01}}"#.utf8),
            Array(#"{"__metadata__":{"k":-}}"#.utf8),
            Array(#"{"__metadata__":{"k":tru}}"#.utf8),
            Array("{\"x\":\(deep)}".utf8),
            [],
            Array("        ".utf8),
        ]
        for header in headers {
            let error = Fixtures.parseError(Fixtures.littleEndian64(UInt64(header.count)) + header + [0, 0, 0, 0])
            let text = String(decoding: header.prefix(60), as: UTF8.self)
            #expect(error?.caseName == "invalidHeaderJSON", "header \(text)")
        }
    }

    @Test func headerThatIsNotAnObjectThrowsInvalidHeaderJSON() {
        for header in ["[1,2]", "\"x\"", "42", "null", "true", "-1.5e3"] {
            let error = Fixtures.parseError(Fixtures.file(header: header, buffer: []))
            #expect(error?.caseName == "invalidHeaderJSON", "header \(header)")
            #expect(error?.description.contains("not an object") == true, "header \(header)")
        }
    }

    @Test func entryWithMissingOrMistypedFieldsThrowsInvalidEntry() {
        let entries = [
            #"[1,2]"#,
            #""F32""#,
            #"{"shape":[1],"data_offsets":[0,4]}"#,
            #"{"dtype":"F32","data_offsets":[0,4]}"#,
            #"{"dtype":"F32","shape":[1]}"#,
            #"{"dtype":3,"shape":[1],"data_offsets":[0,4]}"#,
            #"{"dtype":"F32","shape":"1","data_offsets":[0,4]}"#,
            #"{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}"#,
            #"{"dtype":"F32","shape":[true],"data_offsets":[0,4]}"#,
            #"{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}"#,
            #"{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}"#,
            #"{"dtype":"F32","shape":[1],"data_offsets":[0]}"#,
            #"{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}"#,
            #"{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}"#,
            #"{"dtype":"F32","shape":[1],"data_offsets":[8,4]}"#,
            #"{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}"#,
            #"{"dtype":"F32","shape":[1],"data_offsets":[0,4e0]}"#,
            #"{"dtype":"F32","shape":[1],"data_offsets":null}"#,
        ]
        for entry in entries {
            let bytes = Fixtures.file(header: #"{"w":\#(entry)}"#, buffer: [UInt8](repeating: 0, count: 8))
            let error = Fixtures.parseError(bytes)
            #expect(error?.caseName == "invalidEntry", "entry \(entry)")
            if case .invalidEntry(let name, _)? = error { #expect(name == "w") }
        }
    }

    @Test func negativeOrOverflowingShapeIsRejected() {
        let negative = #"{"w":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}"#
        #expect(throws: SafeTensorsError.negativeDimension(name: "w", shape: [-1, -4])) {
            try SafeTensorsFile(data: Fixtures.file(header: negative, buffer: [UInt8](repeating: 0, count: 16)))
        }
        for shape in [[4_611_686_018_427_387_904, 4], [Int.max, 2], [3_037_000_500, 3_037_000_500]] {
            let header = #"{"w":{"dtype":"F32","shape":\#(shape),"data_offsets":[0,16]}}"#
            #expect(throws: SafeTensorsError.shapeOverflow(name: "w", shape: shape)) {
                try SafeTensorsFile(data: Fixtures.file(header: header, buffer: [UInt8](repeating: 0, count: 16)))
            }
        }
    }

    @Test func metadataMustBeAnObjectOfStrings() throws {
        for metadata in [#"{"k":1}"#, #"{"k":null}"#, #"{"k":{"x":"y"}}"#, #"["k"]"#, #""k""#] {
            let error = Fixtures.parseError(Fixtures.file(header: #"{"__metadata__":\#(metadata)}"#, buffer: []))
            #expect(error?.caseName == "invalidHeaderJSON", "metadata \(metadata)")
        }
        let null = try SafeTensorsFile(data: Fixtures.file(header: #"{"__metadata__":null}"#, buffer: []))
        #expect(null.metadata.isEmpty && null.tensors.isEmpty)
    }

    @Test func readingMissingPathThrowsFileNotFoundAndDirectoryThrowsIOFailure() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = directory.path("nope.safetensors")
        #expect(throws: SafeTensorsError.fileNotFound(path: missing)) { try SafeTensorsFile.read(from: missing) }
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.read(from: directory.url.path) }
        #expect(error?.caseName == "ioFailure")
    }

    @Test func everyErrorDescriptionIsOneSentenceSayingWhatToDo() {
        let errors: [SafeTensorsError] = [
            .fileNotFound(path: "a"), .ioFailure(path: "a", reason: "Permission denied"),
            .truncated(expected: 10, actual: 5), .headerTooLarge(length: .max, fileSize: 9),
            .invalidHeaderJSON(reason: "x"), .invalidEntry(name: "w", reason: "x"),
            .unsupportedDType(name: "w", dtype: "I8"), .negativeDimension(name: "w", shape: [-1]),
            .shapeOverflow(name: "w", shape: [.max, 2]), .sizeMismatch(name: "w", expectedBytes: 4, actualBytes: 8),
            .offsetsOutOfBounds(name: "w", begin: 0, end: 8, bufferSize: 4), .overlappingTensors(a: "a", b: "b"),
            .missingTensor(name: "w", available: ["a"]), .wrongDType(name: "w", expected: [.f32], actual: .i64),
            .wrongDType(name: nil, expected: [.u8], actual: .f32),
        ]
        for error in errors {
            let text = error.description
            #expect(text.hasSuffix("."), "\(text)")
            #expect(text.filter { $0 == ";" }.count == 1, "what is wrong; what to do: \(text)")
        }
    }

    // MARK: Fuzzing

    @Test func randomMutationsEitherParseOrThrowSafeTensorsError() throws {
        let base = Fixtures.sample().serialized()
        let headerEnd = 8 + base[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let tokens = [
            "{", "}", "[", "]", ",", ":", "\"", "-1", "0", "1e999", "99999999999999999999", "\"F16\"", "\"BF16\"",
            "\"__metadata__\"", "\\u", "\\ud83d", "null", "true", " ", "\u{0}", "\"shape\":[]",
            "\"data_offsets\":[0,0]",
        ].map { Array($0.utf8) }
        var rng = RandomGenerator(seed: 0x5AFE_7E45)
        var parsed = 0
        var rejected: [String: Int] = [:]

        for iteration in 0..<5000 {
            var bytes = base
            for _ in 0...rng.nextInt(below: 3) {
                let headerLimit = min(headerEnd, bytes.count)
                switch rng.nextInt(below: 9) {
                case 0 where !bytes.isEmpty:  // flip a byte
                    bytes[rng.nextInt(below: bytes.count)] ^= UInt8(1 + rng.nextInt(below: 255))
                case 1:  // truncate
                    bytes.removeLast(rng.nextInt(below: bytes.count + 1))
                case 2:  // extend
                    bytes += (0..<(1 + rng.nextInt(below: 64))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                case 3 where bytes.count >= 8:  // overwrite the length prefix
                    let candidates: [UInt64] = [
                        rng.next(), UInt64(rng.nextInt(below: bytes.count + 16)), .max, 1 << 40,
                        UInt64(headerEnd - 8 + rng.nextInt(below: 17)) &- 8, 100_000_000,
                    ]
                    let length = candidates[rng.nextInt(below: candidates.count)]
                    bytes.replaceSubrange(0..<8, with: Fixtures.littleEndian64(length))
                case 4 where headerLimit > 9:  // splice header bytes elsewhere into the header
                    let start = 8 + rng.nextInt(below: headerLimit - 8)
                    let end = min(headerLimit, start + 1 + rng.nextInt(below: 24))
                    let chunk = Array(bytes[start..<end])
                    let at = 8 + rng.nextInt(below: headerLimit - 8)
                    if rng.nextInt(below: 2) == 0 {
                        bytes.insert(contentsOf: chunk, at: at)
                    } else {
                        bytes.replaceSubrange(at..<min(bytes.count, at + chunk.count), with: chunk)
                    }
                case 5 where headerLimit > 9:  // insert a JSON token, usually keeping the length prefix honest
                    let token = tokens[rng.nextInt(below: tokens.count)]
                    bytes.insert(contentsOf: token, at: 8 + rng.nextInt(below: headerLimit - 8))
                    if rng.nextInt(below: 4) != 0 {
                        let length = UInt64(headerLimit - 8 + token.count)
                        bytes.replaceSubrange(0..<8, with: Fixtures.littleEndian64(length))
                    }
                case 6 where headerLimit > 9:  // change one digit of the header: lying shapes and offsets
                    let digits = (8..<headerLimit).filter { (0x30...0x39).contains(bytes[$0]) }
                    if let at = digits.isEmpty ? nil : digits[rng.nextInt(below: digits.count)] {
                        bytes[at] = UInt8(0x30 + rng.nextInt(below: 10))
                    }
                case 7:  // move one tensor's data_offsets in a well-formed header: overlaps, gaps, out of range
                    let deltas = [-24, -16, -8, -4, 4, 8, 16, 1000, 1 << 40]
                    let offsets = #/"data_offsets":\[(\d+),(\d+)\]/#
                    bytes = Fixtures.rewritingHeader(bytes, pattern: offsets, pick: rng.nextInt(below: 16)) { match in
                        guard let begin = Int(match.output.1), let end = Int(match.output.2),
                              begin < 1 << 50, end < 1 << 50 else { return String(match.output.0) }
                        let moved = max(0, begin + deltas[rng.nextInt(below: deltas.count)])
                        return "\"data_offsets\":[\(moved),\(moved + end - begin)]"
                    } ?? bytes
                case 8:  // replace one shape in a well-formed header: negative, overflowing, inconsistent
                    let shapes = [
                        "[-1]", "[4611686018427387904,4]", "[3037000500,3037000500]", "[]", "[0]", "[2,2]", "[1,1,3,1]",
                    ]
                    let shape = #/"shape":\[[^\]]*\]/#
                    bytes = Fixtures.rewritingHeader(bytes, pattern: shape, pick: rng.nextInt(below: 16)) { _ in
                        "\"shape\":" + shapes[rng.nextInt(below: shapes.count)]
                    } ?? bytes
                default:
                    break
                }
            }

            do {
                let file = try SafeTensorsFile(data: bytes)
                parsed += 1
                for name in file.tensors.keys {
                    let reads: [() throws -> Void] = [
                        { _ = try file.floats(name) }, { _ = try file.int64s(name) }, { _ = try file.uint8s(name) },
                    ]
                    for read in reads {
                        do { try read() } catch is SafeTensorsError {} catch {
                            Issue.record("iteration \(iteration): accessor threw \(error)")
                        }
                    }
                }
                #expect(try SafeTensorsFile(data: file.serialized()) == file, "iteration \(iteration)")
            } catch let error as SafeTensorsError {
                rejected[error.caseName, default: 0] += 1
            } catch {
                Issue.record("iteration \(iteration): threw a non-SafeTensorsError \(error)")
            }
        }
        // The mutations must reach both outcomes and most of the validation paths.
        #expect(parsed > 100)
        let fileErrors: Set = [
            "truncated", "headerTooLarge", "invalidHeaderJSON", "invalidEntry", "unsupportedDType", "negativeDimension",
            "shapeOverflow", "sizeMismatch", "offsetsOutOfBounds", "overlappingTensors",
        ]
        #expect(Set(rejected.keys) == fileErrors, "error kinds reached: \(rejected), parsed: \(parsed)")
    }

    // MARK: Atomic writes

    @Test func writeReplacesExistingFileAndLeavesNoTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("ckpt.safetensors")
        try Fixtures.sample().write(to: path)
        let replacement = SafeTensorsFile(
            tensors: ["w": SafeTensor(floats: [9, 8, 7], shape: [3])], metadata: ["v": "2"])
        try replacement.write(to: path)
        #expect(try SafeTensorsFile.read(from: path) == replacement)
        #expect(try directory.contents() == ["ckpt.safetensors"])
    }

    @Test func writeIntoUnwritableDirectoryThrowsIOFailureAndKeepsOldFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("ckpt.safetensors")
        try Fixtures.sample().write(to: path)
        let old = try Data(contentsOf: URL(fileURLWithPath: path))
        let replacement = SafeTensorsFile(tensors: ["w": SafeTensor(floats: [1], shape: [1])])

        if geteuid() != 0 {
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: directory.url.path)
            defer {
                try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.url.path)
            }
            let error = #expect(throws: SafeTensorsError.self) { try replacement.write(to: path) }
            #expect(error?.caseName == "ioFailure")
        }
        // Root ignores permission bits, so also use a "directory" that is a regular file (ENOTDIR),
        // which fails for every user.
        let underFile = path + "/inner.safetensors"
        let error = #expect(throws: SafeTensorsError.self) { try replacement.write(to: underFile) }
        #expect(error?.caseName == "ioFailure")

        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == old)
        #expect(try directory.contents() == ["ckpt.safetensors"])
    }

    @Test func writeIntoMissingDirectoryThrowsIOFailureWithoutCreatingIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("missing/ckpt.safetensors")
        let error = #expect(throws: SafeTensorsError.self) { try Fixtures.sample().write(to: path) }
        #expect(error?.caseName == "ioFailure")
        #expect(error?.description.contains(path) == true)
        #expect(try directory.contents() == [])
    }

    @Test func writeWhoseRenameFailsRemovesTemporaryFileAndKeepsDestination() throws {
        // The destination is a non-empty directory: the temporary file is written and synced, then
        // rename(2) fails, so this exercises the clean-up after the last step that can fail.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let destination = directory.path("ckpt.safetensors")
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: destination + "/keep.txt"))

        let error = #expect(throws: SafeTensorsError.self) { try Fixtures.sample().write(to: destination) }
        #expect(error?.caseName == "ioFailure")
        #expect(try directory.contents() == ["ckpt.safetensors"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: destination + "/keep.txt")) == Data("keep".utf8))
    }

    @Test func writeOfInconsistentTensorThrowsWithoutTouchingDisk() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("ckpt.safetensors")
        var file = Fixtures.sample()
        file.tensors["policy.w"]?.bytes.removeLast()
        #expect(throws: SafeTensorsError.sizeMismatch(name: "policy.w", expectedBytes: 48, actualBytes: 47)) {
            try file.write(to: path)
        }
        let reserved = SafeTensorsFile(tensors: ["__metadata__": SafeTensor(uint8s: [1], shape: [1])])
        let error = #expect(throws: SafeTensorsError.self) { try reserved.write(to: path) }
        #expect(error?.caseName == "invalidEntry")
        #expect(try directory.contents() == [])
    }

    // MARK: Size

    @Test func fiftyMegabyteF32FileRoundTripsExactly() throws {
        // Large files go through the bulk-copy paths; their speed is a benchmark's business, not a test's.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("big.safetensors")
        let count = 50 * 1024 * 1024 / 4
        var rng = RandomGenerator(seed: 3)
        let values = rng.normals(count)
        try SafeTensorsFile(tensors: ["w": SafeTensor(floats: values, shape: [count / 1024, 1024])]).write(to: path)
        let read = try SafeTensorsFile.read(from: path).floats("w")
        #expect(read == values)
    }

    // MARK: Python interop

    @Test(.requiresPython("numpy", "safetensors"))
    func fileWrittenByPythonSafetensorsReadsWithExpectedValues() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("from_python.safetensors")
        let script = """
            import sys
            import numpy as np
            from safetensors.numpy import save_file
            save_file({
                "obs_mean": np.array([[1.5, -2.25, 3.0], [0.1, 1e-40, -0.0]], dtype=np.float32),
                "half": np.array([1.0, -2.5, 0.333, np.inf, 6e-8, -65504], dtype=np.float16),
                "steps": np.array([0, -1, 2**62, -2**63], dtype=np.int64),
                "f64": np.array([0.1, -3.5], dtype=np.float64),
                "i32": np.array([[-7, 2**31 - 1]], dtype=np.int32),
                "flags": np.array([True, False, True]),
                "counts": np.arange(5, dtype=np.uint8),
            }, sys.argv[1], metadata={"step": "1000", "env": "reach", "note": "é🚀 \\"q\\""})
            """
        try Python.run(script, arguments: [path])

        let file = try SafeTensorsFile.read(from: path)
        #expect(file.metadata == ["step": "1000", "env": "reach", "note": "é🚀 \"q\""])
        #expect(try file.tensor("obs_mean").shape == [2, 3])
        let expected: [Double] = [1.5, -2.25, 3.0, 0.1, 1e-40, -0.0]
        #expect(try file.floats("obs_mean").map(\.bitPattern) == expected.map { Float($0).bitPattern })
        #expect(try file.tensor("half").dtype == .f16)
        #expect(try file.floats("half") == [1.0, -2.5, 0.3330078125, .infinity, 0x1p-24, -65504])
        #expect(try file.int64s("steps") == [0, -1, 1 << 62, .min])
        #expect(try file.floats("f64") == [Float(0.1 as Double), -3.5])
        #expect(try file.tensor("i32").shape == [1, 2])
        #expect(try file.int64s("i32") == [-7, Int64(Int32.max)])
        #expect(try file.tensor("flags").dtype == .bool)
        #expect(try file.uint8s("flags") == [1, 0, 1])
        #expect(try file.uint8s("counts") == [0, 1, 2, 3, 4])
    }

    @Test(.requiresPython("numpy", "safetensors"))
    func fileWrittenBySwiftLoadsInPythonSafetensors() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("from_swift.safetensors")
        let file = Fixtures.sample()
        try file.write(to: path)
        let script = """
            import json, sys
            from safetensors.numpy import load_file
            from safetensors import safe_open
            tensors = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="np") as f:
                metadata = f.metadata()
            print("RESULT " + json.dumps({
                "metadata": metadata,
                "tensors": {name: {"dtype": str(t.dtype), "shape": list(t.shape), "hex": t.tobytes().hex()}
                            for name, t in tensors.items()},
                "policy.w": tensors["policy.w"].tolist(),
            }))
            """
        let output = try Python.run(script, arguments: [path])
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("RESULT ") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8)) as? [String: Any])

        #expect(json["metadata"] as? [String: String] == file.metadata)
        let tensors = try #require(json["tensors"] as? [String: [String: Any]])
        #expect(Set(tensors.keys) == Set(file.tensors.keys))
        let numpyDType: [SafeTensorsDType: String] = [.f32: "float32", .i64: "int64", .u8: "uint8"]
        for (name, tensor) in file.tensors {
            let loaded = try #require(tensors[name], "tensor \(name)")
            #expect(loaded["dtype"] as? String == numpyDType[tensor.dtype], "tensor \(name)")
            #expect(loaded["shape"] as? [Int] == tensor.shape, "tensor \(name)")
            let hex = tensor.bytes.map { String(format: "%02x", $0) }.joined()
            #expect(loaded["hex"] as? String == hex, "tensor \(name)")
        }
        let values = try #require(json["policy.w"] as? [[Double]])
        #expect(values.flatMap { $0 }.map(Float.init) == (try file.floats("policy.w")))
    }
}

// MARK: - Helpers

private enum Fixtures {
    static let specialFloats: [Float] = [
        -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
        Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFFA0_0001), 1e-30,
    ]

    /// Several dtypes, a scalar, an empty tensor and metadata that needs JSON escaping.
    static func sample() -> SafeTensorsFile {
        SafeTensorsFile(
            tensors: [
                "policy.w": SafeTensor(floats: (0..<12).map { Float($0) * 0.5 - 2 }, shape: [3, 4]),
                "policy.b": SafeTensor(floats: [0.25, -0.5, 3, 1e-3], shape: [4]),
                "special": SafeTensor(floats: specialFloats, shape: [2, 4]),
                "step": SafeTensor(int64s: [.min, -1, 0, 123_456_789_012, .max], shape: [5]),
                "scalar": SafeTensor(floats: [42], shape: []),
                "mask": SafeTensor(uint8s: Array(0...255), shape: [16, 16]),
                "empty": SafeTensor(floats: [], shape: [0, 5]),
            ],
            metadata: [
                "format": "flowtune-1", "": "empty key",
                "note": "quote \" backslash \\ newline \n tab \t nul \u{0} é 🚀",
            ])
    }

    /// A file from a hand-written header; `length` overrides the length prefix.
    static func file(header: String, buffer: [UInt8], length: UInt64? = nil) -> [UInt8] {
        littleEndian64(length ?? UInt64(header.utf8.count)) + Array(header.utf8) + buffer
    }

    /// A header JSON object with one entry per `(name, dtype, shape, data_offsets)`.
    static func header(_ entries: (String, String, [Int], [Int])...) -> String {
        let body = entries.map { name, dtype, shape, offsets in
            #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
        }
        return "{" + body.joined(separator: ",") + "}"
    }

    static func littleEndian64(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    static func littleEndian16(_ values: [UInt16]) -> [UInt8] { values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }

    /// `bytes` with one match of `pattern` in its header replaced (the length prefix updated), or nil
    /// when the header cannot be located or has no match.
    static func rewritingHeader<Output>(
        _ bytes: [UInt8], pattern: Regex<Output>, pick: Int, _ replacement: (Regex<Output>.Match) -> String
    ) -> [UInt8]? {
        guard bytes.count >= 8 else { return nil }
        let length = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(bytes.count - 8),
              let header = String(bytes: bytes[8..<(8 + Int(length))], encoding: .utf8) else { return nil }
        let matches = header.matches(of: pattern)
        guard !matches.isEmpty else { return nil }
        let match = matches[pick % matches.count]
        var rewritten = header
        rewritten.replaceSubrange(match.range, with: replacement(match))
        let newHeader = Array(rewritten.utf8)
        return littleEndian64(UInt64(newHeader.count)) + newHeader + bytes[(8 + Int(length))...]
    }

    /// The `SafeTensorsError` that parsing `bytes` throws; records an issue if it throws none or another error.
    static func parseError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> SafeTensorsError? {
        return #expect(throws: SafeTensorsError.self, sourceLocation: sourceLocation) {
            try SafeTensorsFile(data: bytes)
        }
    }
}

extension SafeTensorsError {
    /// The case name, for checking the kind of error without its payload.
    var caseName: String { Mirror(reflecting: self).children.first?.label ?? "\(self)" }
}

/// A fresh directory under the system temporary directory; call `remove()` in a `defer`.
private struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("flowtune-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }
}

/// Runs the test Python (`TestPython`) for the interop tests, which are skipped when it lacks numpy
/// or safetensors; once they run, a Python failure fails the test.
private enum Python {
    @discardableResult
    static func run(_ script: String, arguments: [String]) throws -> String {
        let result = try TestPython.run(script, arguments)
        try #require(result.status == 0, """
            \(TestPython.executable) failed (exit \(result.status)):
            \(result.stdout)\(result.stderr)
            """)
        return result.stdout + result.stderr
    }
}
