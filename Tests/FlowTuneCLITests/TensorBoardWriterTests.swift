import FlowTuneCLI
import FlowTestSupport
import Foundation
import Testing

@Suite struct TensorBoardWriterTests {
    @Test func crc32cMatchesTheStandardCheckValues() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // RFC 3720 (iSCSI) appendix B.4 vectors.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    }

    @Test func protobufFieldsUseTheWireFormat() {
        var w = ProtobufWriter()
        w.varint(field: 2, 300)
        #expect(w.bytes == [0x10, 0xAC, 0x02])
        w = ProtobufWriter()
        w.varint(field: 2, UInt64(bitPattern: -1))
        #expect(w.bytes == [0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
        w = ProtobufWriter()
        w.string(field: 3, "ab")
        #expect(w.bytes == [0x1A, 0x02, 0x61, 0x62])
        w = ProtobufWriter()
        w.float(field: 2, 1.0)
        #expect(w.bytes == [0x15, 0x00, 0x00, 0x80, 0x3F])
        w = ProtobufWriter()
        w.double(field: 1, 1.0)
        #expect(w.bytes == [0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
    }

    @Test func tfRecordFramingHasLengthAndMaskedChecksums() {
        let framed = TFRecord.frame([1, 2, 3])
        #expect(framed.count == 8 + 4 + 3 + 4)
        #expect(Array(framed[0..<8]) == [3, 0, 0, 0, 0, 0, 0, 0])
        let lengthCRC = UInt32(framed[8]) | UInt32(framed[9]) << 8 | UInt32(framed[10]) << 16 | UInt32(framed[11]) << 24
        #expect(lengthCRC == CRC32C.masked(Array(framed[0..<8])))
    }

    @Test func eventFileIsNamedTheWayTensorBoardLooksForIt() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let a = try TensorBoardWriter(directory: root, wallTime: date, hostname: "node1")
        let b = try TensorBoardWriter(directory: root, wallTime: date, hostname: "node1")
        #expect(a.path == root + "/events.out.tfevents.1700000000.node1")
        #expect(b.path != a.path && b.path.hasPrefix(a.path + "."), "a second writer in the same second must not clobber the first")
    }

    @Test(.requiresPython("tensorboard"))
    func tensorBoardsOwnEventReaderReadsBackTagsStepsAndValues() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let writer = try TensorBoardWriter(directory: root)
        var expected: [String: [(Int, Double)]] = [:]
        for i in 0..<25 {
            let step = i * 1280
            let values = ["eval/success": Double(i) / 24, "policy_loss": 0.5 * Double(i) - 3.25, "sigma_mean": 0.08 + 0.003 * Double(i)]
            try writer.addScalars(values, step: step, wallTime: Date(timeIntervalSince1970: 1_700_000_000 + Double(i)))
            for (tag, value) in values { expected[tag, default: []].append((step, value)) }
        }
        try writer.addScalar("big_step", 1.5, step: 5_000_000_000)
        expected["big_step"] = [(5_000_000_000, 1.5)]
        writer.close()

        let script = """
            import json, sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            acc = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0})
            acc.Reload()
            out = {tag: [[e.step, e.value, e.wall_time] for e in acc.Scalars(tag)] for tag in acc.Tags()['scalars']}
            print(json.dumps(out))
            """
        let result = try runPython(script, [root])
        #expect(result.status == 0, "\(result.stderr)")
        let decoded = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [[Double]]]
        let read = try #require(decoded, "unexpected reader output: \(result.stdout) \(result.stderr)")
        #expect(Set(read.keys) == Set(expected.keys))
        for (tag, points) in expected {
            let got = read[tag] ?? []
            #expect(got.map { Int($0[0]) } == points.map(\.0), "steps of \(tag)")
            for (g, e) in zip(got, points) {
                #expect(Float(g[1]) == Float(e.1), "value of \(tag) at step \(e.0)")
            }
        }
        #expect(read["policy_loss"]?.first?[2] == 1_700_000_000, "wall time of the first event")
    }
}
