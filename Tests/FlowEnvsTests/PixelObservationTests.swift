import FlowEnvs
import FlowTensor
import Foundation
import Testing

/// Pixel observations of the built-in tasks: rows are the rendered frames, the final observation
/// is the finished episode's last frame, and pixel demonstrations keep their frames as bytes.
@Suite struct PixelObservationTests {
    static func randomActions(_ n: Int, _ d: Int, _ rng: inout RandomGenerator) -> [Float] {
        (0..<(n * d)).map { _ in rng.nextUniform() * 2 - 1 }
    }

    @Test(arguments: ["reach-obstacle", "push", "pick-place", "multitask"])
    func pixelRowsAreTheWrappedEnvironmentsFramesOverTwoFiftyFive(_ id: String) throws {
        let n = 4, size = 24
        let env = try BuiltinEnvironments.make(id: id, numEnvs: n, options: .init(observation: .pixels, imageSize: size))
        let pixels = try #require(env as? PixelObservationEnv)
        #expect(env.spec.image == ImageLayout(offset: 0, size: size))
        #expect(env.spec.observationDim == size * size * 3)
        try env.reset(seeds: (0..<n).map { UInt64($0) + 11 })
        var rng = RandomGenerator(seed: 3)
        for _ in 0..<5 {
            var frames = [UInt8](repeating: 0, count: n * size * size * 3)
            frames.withUnsafeMutableBufferPointer { pixels.wrapped.renderFrames(size: size, into: $0) }
            let rows = Array(env.buffers.observations)
            #expect(rows == frames.map { Float($0) / 255 })
            try env.step(actions: Self.randomActions(n, env.spec.actionDim, &rng))
        }
    }

    @Test func pixelsAndStateRowsStartWithTheStateVectorAndEverythingElseIsTheWrappedEnvironments() throws {
        let n = 3, size = 16
        let state = try BuiltinEnvironments.make(id: "push", numEnvs: n)
        let both = try BuiltinEnvironments.make(id: "push", numEnvs: n, options: .init(observation: .pixelsAndState, imageSize: size))
        let d = state.spec.observationDim
        #expect(both.spec.image == ImageLayout(offset: d, size: size))
        #expect(Array(both.spec.observation.names.prefix(d)) == state.spec.observation.names)
        let seeds: [UInt64] = [5, 6, 7]
        try state.reset(seeds: seeds)
        try both.reset(seeds: seeds)
        var rng = RandomGenerator(seed: 9)
        for _ in 0..<130 {   // past push's 120-step limit: auto-resets happen
            let a = Self.randomActions(n, 2, &rng)
            try state.step(actions: a)
            try both.step(actions: a)
            for i in 0..<n {
                #expect(Array(both.buffers.observation(ofEnv: i).prefix(d)) == Array(state.buffers.observation(ofEnv: i)))
                #expect(both.buffers.rewards[i] == state.buffers.rewards[i])
                #expect(both.buffers.isDone(i) == state.buffers.isDone(i))
                #expect(both.buffers.episodeSeeds[i] == state.buffers.episodeSeeds[i])
                if state.buffers.isDone(i) {
                    #expect(Array(both.buffers.finalObservation(ofEnv: i).prefix(d)) == Array(state.buffers.finalObservation(ofEnv: i)))
                }
            }
        }
    }

    /// Truncated after 5 steps, an episode's final frame is what an environment with a longer time
    /// limit shows after the same 5 steps, not the next episode's first frame.
    @Test func theFinalObservationIsTheFinishedEpisodesLastFrame() throws {
        let size = 20
        let short = try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: 1,
                                                 options: .init(maxEpisodeSteps: 5, observation: .pixels, imageSize: size))
        let long = try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: 1,
                                                options: .init(maxEpisodeSteps: 50, observation: .pixels, imageSize: size))
        try expectFinalRowIsTheLastFrame(short: short, long: long,
                                         actions: [[0.3, 0.2], [0.1, 0.4], [-0.2, 0.5], [0.4, 0.1], [0.2, 0.3]])
    }

    @Test func theSameSeedsGiveTheSameBytes() throws {
        func run() throws -> [Float] {
            let env = try BuiltinEnvironments.make(id: "pick-place", numEnvs: 2, options: .init(observation: .pixels, imageSize: 16))
            try env.reset(seeds: [1, 2])
            var rng = RandomGenerator(seed: 4)
            var all: [Float] = []
            for _ in 0..<20 {
                try env.step(actions: Self.randomActions(2, env.spec.actionDim, &rng))
                all += env.buffers.observations
            }
            return all
        }
        #expect(try run() == run())
    }

    @Test func pixelDemonstrationsStoreTheirFramesAsBytesAndReadBackExactly() throws {
        let demos = try DemonstrationCollector(envID: "reach-obstacle", numEnvs: 4,
                                               options: .init(observation: .pixelsAndState, imageSize: 16)).collect(episodes: 3, seed: 1)
        let state = try DemonstrationCollector(envID: "reach-obstacle", numEnvs: 4).collect(episodes: 3, seed: 1)
        #expect(demos.image == ImageLayout(offset: state.observationDim, size: 16))
        #expect(demos.actions == state.actions, "the expert plans from the state, so the frames change nothing it does")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pixel-demos-\(UInt64.random(in: 0...UInt64.max)).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try demos.write(to: path)
        let again = try DemonstrationDataset.read(from: path)
        #expect(again == demos)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path)).count
        #expect(bytes < demos.stepCount * (16 * 16 * 3 + state.observationDim * 4 + 64) + 4096, "frames are stored as bytes, not floats")
    }

    @Test func theExpertActsThroughThePixelWrapper() throws {
        let report = try DemonstrationCollector(envID: "push", numEnvs: 4, options: .init(observation: .pixels, imageSize: 16))
            .collectWithReport(episodes: 4, seed: 2).report
        #expect(report.succeeded == 4)
    }

    /// Said before any worker starts: gymnasium ids and pusht have no camera through the bridge.
    @Test func aSimulatorWithoutACameraSaysSo() {
        for id in ["gym/Pendulum-v1", "pusht"] {
            #expect(throws: PixelObservationError.notRendered(envID: id)) {
                _ = try EnvironmentRegistry.make(id: id, numEnvs: 1, options: .init(observation: .pixels))
            }
        }
        #expect(throws: PixelObservationError.imageSize(200)) {
            _ = try BuiltinEnvironments.make(id: "push", numEnvs: 1, options: .init(observation: .pixels, imageSize: 200))
        }
    }
}
