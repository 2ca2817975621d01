import FlowEnvs
import FlowTestSupport
import Foundation
import Testing

extension BridgeTests {
    /// The wire format on its own, and a real worker answering in the layout PROTOCOL.md documents.
    @Suite struct ProtocolTests {
        @Test func frameWriterAndReaderRoundTripEveryFieldType() throws {
            var w = BridgeFrameWriter(.stepDone)
            w.append(UInt32(0xDEAD_BEEF))
            w.append([Float(1.5), -0.0, .infinity, Float(bitPattern: 0x7FC0_0001)])
            w.append([UInt64.max, 7])
            w.append([Int32(-3)])
            w.append([UInt8(5)])
            let frame = w.finish()
            let length = Int(frame[0]) | Int(frame[1]) << 8 | Int(frame[2]) << 16 | Int(frame[3]) << 24
            #expect(length == frame.count - 4)
            #expect(frame[4] == BridgeProtocol.MessageType.stepDone.rawValue)
            var r = BridgeFrameReader(type: frame[4], body: Array(frame[5...]))
            #expect(try r.readUInt32() == 0xDEAD_BEEF)
            let floats = try r.readArray(of: Float.self, count: 4, zero: 0)
            #expect(floats.map(\.bitPattern) == [Float(1.5), -0.0, .infinity, Float(bitPattern: 0x7FC0_0001)].map(\.bitPattern))
            #expect(try r.readArray(of: UInt64.self, count: 2, zero: 0) == [UInt64.max, 7])
            #expect(try r.readArray(of: Int32.self, count: 1, zero: 0) == [-3])
            #expect(try r.readUInt8() == 5)
            #expect(r.remaining == 0)
        }

        @Test func readingPastTheEndOfABodyIsAMalformedMessageError() {
            var r = BridgeFrameReader(type: 0x83, body: [1, 2, 3])
            #expect(throws: BridgeError.self) { _ = try r.readUInt32() }
        }

        @Test(.requiresPython("numpy", "gymnasium"))
        func workerAnswersHelloResetStepAndCloseInTheDocumentedLayout() throws {
            let w = try WorkerProcess(python: PythonRuntime())
            defer { w.terminate() }
            try w.send(BridgeProtocol.helloFrame(envID: "gym/Pendulum-v1", envIndices: [0, 1], options: [:]))
            let (spec, hasExpert, images, choosesTasks) = try PythonBridgeEnv.readSpec(w, id: "gym/Pendulum-v1", timeout: 120)
            #expect(spec.observationDim == 3 && spec.actionDim == 1 && !hasExpert && images.isEmpty && !choosesTasks)
            #expect(spec.maxEpisodeSteps == 200)

            var reset = BridgeFrameWriter(.reset)
            reset.append([UInt64(1), 2])
            try w.send(reset.finish())
            var r = try w.receive(timeout: 60, waitingFor: "RESET")
            #expect(r.type == BridgeProtocol.MessageType.resetDone.rawValue)
            #expect(r.body.count == 2 * 4 + 2 * 3 * 4)          // task indices, observations
            #expect(try r.readArray(of: Int32.self, count: 2, zero: 9) == [0, 0])

            var step = BridgeFrameWriter(.step)
            step.append([Float(0.5), -0.5])
            step.append([UInt64(10), 11])
            try w.send(step.finish())
            r = try w.receive(timeout: 60, waitingFor: "STEP")
            #expect(r.type == BridgeProtocol.MessageType.stepDone.rawValue)
            #expect(r.body.count == 2 * 4 + 2 + 2 * 4 + 2 * 3 * 4)  // rewards, flags, tasks, observations
            let rewards = try r.readArray(of: Float.self, count: 2, zero: 0)
            #expect(rewards.allSatisfy { $0 < 0 })                    // Pendulum's cost is negative
            #expect(try r.readArray(of: UInt8.self, count: 2, zero: 9) == [0, 0])

            var close = BridgeFrameWriter(.close)
            try w.send(close.finish())
            #expect(try w.receive(timeout: 30, waitingFor: "BYE").type == BridgeProtocol.MessageType.bye.rawValue)
        }

        @Test(.requiresPython("numpy"))
        func workerRefusesAnotherProtocolVersionWithAnErrorNamingBothVersions() throws {
            let w = try WorkerProcess(python: PythonRuntime())
            defer { w.terminate() }
            try w.send(BridgeProtocol.helloFrame(envID: "gym/Pendulum-v1", envIndices: [0], options: [:], version: 99))
            do {
                _ = try PythonBridgeEnv.readSpec(w, id: "gym/Pendulum-v1", timeout: 60)
                Issue.record("a worker accepted protocol version 99")
            } catch let error as BridgeError {
                guard case let .protocolVersionMismatch(message) = error else {
                    Issue.record("expected protocolVersionMismatch, got \(error)")
                    return
                }
                #expect(message.contains("version 99"), "\(message)")
                #expect(message.contains("version \(BridgeProtocol.version)"), "\(message)")
                #expect(message.contains("pip install ./python"), "\(message)")
            }
        }

        /// The registry refuses before starting a worker; a worker asked directly says it too.
        @Test(.requiresPython("numpy", "gymnasium"))
        func aWorkerWithoutACameraRefusesAnImageRequest() throws {
            let w = try WorkerProcess(python: PythonRuntime())
            defer { w.terminate() }
            let options: [String: Any] = ["images": [BridgeImage(name: BridgeImage.metaWorldCamera, size: 16).json]]
            try w.send(BridgeProtocol.helloFrame(envID: "gym/Pendulum-v1", envIndices: [0], options: options))
            do {
                _ = try PythonBridgeEnv.readSpec(w, id: "gym/Pendulum-v1", timeout: 60)
                Issue.record("a gymnasium worker accepted an image request")
            } catch let error as BridgeError {
                guard case let .workerError(message) = error else {
                    Issue.record("expected workerError, got \(error)")
                    return
                }
                #expect(message.contains("has no camera"), "\(message)")
            }
        }
    }
}
