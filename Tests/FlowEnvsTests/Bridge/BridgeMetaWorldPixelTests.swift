import FlowEnvs
import FlowTensor
import FlowTestSupport
import Foundation
import Testing

extension BridgeTests {
    /// MetaWorld's camera through the bridge: rows laid out as the built-in tasks' pixel rows, the
    /// same bytes for the same seeds whatever the number of workers, and finished episodes' last frames.
    @Suite(.requiresPython("numpy", "gymnasium", "mujoco", "metaworld"), .slow)
    struct MetaWorldPixelTests {
        static let size = 32

        static func make(_ mode: ObservationMode, id: String = "metaworld/reach-v3", workers: Int = 1, numEnvs: Int = 2,
                         maxEpisodeSteps: Int? = nil) throws -> any VectorEnv {
            try EnvironmentRegistry.make(id: id, numEnvs: numEnvs,
                                         options: .init(maxEpisodeSteps: maxEpisodeSteps, observation: mode, imageSize: size),
                                         bridge: quietBridge(workers: workers))
        }

        @Test func pixelRowsAreCameraBytesOverTwoFiftyFiveWithSpecImageSet() throws {
            let env = try Self.make(.pixels)
            defer { env.close() }
            #expect(env.spec.image == ImageLayout(offset: 0, size: Self.size))
            #expect(env.spec.observationDim == Self.size * Self.size * 3)
            #expect(env.spec.observation.names.first == "pixel_0_0_r")
            try env.reset(seeds: [3, 4])
            var rng = RandomGenerator(seed: 1)
            for _ in 0..<3 {
                try env.step(actions: randomActions(count: 8, rng: &rng))
                for i in 0..<2 {
                    let row = Array(env.buffers.observation(ofEnv: i))
                    #expect(row.allSatisfy { $0 >= 0 && $0 <= 1 && ($0 * 255).rounded() / 255 == $0 }, "every value is a byte ÷ 255")
                    #expect(Set(row).count > 20, "a camera image, not a blank frame")
                }
            }
        }

        /// The rows (and final rows after auto-resets) of one worker, again of one worker, and of two.
        @Test func theSameSeedsGiveTheSameBytesWithOneOrTwoWorkers() throws {
            func run(workers: Int) throws -> [StepRecord] {
                let env = try Self.make(.pixels, workers: workers, maxEpisodeSteps: 4)
                defer { env.close() }
                try env.reset(seeds: [7, 8])
                var rng = RandomGenerator(seed: 5)
                var records = [StepRecord(env.buffers)]
                for _ in 0..<9 {
                    try env.step(actions: randomActions(count: 8, rng: &rng))
                    records.append(StepRecord(env.buffers))
                }
                return records
            }
            let one = try run(workers: 1)
            #expect(try run(workers: 1) == one)
            #expect(try run(workers: 2) == one)
            #expect(one.contains { $0.truncated.contains(true) }, "the run should include auto-resets")
            #expect(one[0].observations[0..<(Self.size * Self.size * 3)] != one[0].observations[(Self.size * Self.size * 3)...],
                    "different seeds show different scenes")
        }

        /// A worker draws all its environments of one task with one renderer, building each frame from
        /// the environment's own model and data. With 12 MT10 environments on one worker, environments
        /// 10 and 11 share the renderers of 0 and 1 (same tasks, other goals and objects); on two
        /// workers, each of them renders with its task's first renderer there. The bytes must agree.
        @Test func environmentsSharingATasksRendererShowTheirOwnScenes() throws {
            func run(workers: Int) throws -> [StepRecord] {
                let env = try Self.make(.pixels, id: "metaworld/MT10", workers: workers, numEnvs: 12)
                defer { env.close() }
                try env.reset(seeds: (0..<12).map { UInt64(40 + $0) })
                var rng = RandomGenerator(seed: 6)
                var records = [StepRecord(env.buffers)]
                for _ in 0..<3 {
                    try env.step(actions: randomActions(count: 12 * 4, rng: &rng))
                    records.append(StepRecord(env.buffers))
                }
                return records
            }
            let one = try run(workers: 1)
            #expect(try run(workers: 2) == one)
            let frame = Self.size * Self.size * 3
            #expect(one[0].observations[0..<frame] != one[0].observations[(10 * frame)..<(11 * frame)],
                    "environments 0 and 10 run one task from different seeds, so their scenes differ")
        }

        /// Truncated after 5 steps, an episode's final row is what an environment with a longer time
        /// limit shows after the same 5 steps, not the next episode's first frame.
        @Test func theFinalObservationIsTheFinishedEpisodesLastFrame() throws {
            let short = try Self.make(.pixels, numEnvs: 1, maxEpisodeSteps: 5)
            let long = try Self.make(.pixels, numEnvs: 1, maxEpisodeSteps: 50)
            defer { short.close(); long.close() }
            try expectFinalRowIsTheLastFrame(short: short, long: long, actions: [[0.3, 0.2, 0.1, 0], [0.1, 0.4, -0.2, 0],
                                                                               [-0.2, 0.5, 0.3, 1], [0.4, 0.1, 0, -1], [0.2, 0.3, 0.5, 0]])
        }

        /// The state part is bit for bit the state run's, final rows included: rendering only reads
        /// the simulation, it never changes it.
        @Test func pixelsAndStateRowsStartWithTheStateVector() throws {
            let state = try Self.make(.state, maxEpisodeSteps: 6)
            let both = try Self.make(.pixelsAndState, maxEpisodeSteps: 6)
            defer { state.close(); both.close() }
            let d = state.spec.observationDim
            #expect(d == 39)
            #expect(both.spec.image == ImageLayout(offset: d, size: Self.size))
            #expect(Array(both.spec.observation.names.prefix(d)) == state.spec.observation.names)
            try state.reset(seeds: [1, 2])
            try both.reset(seeds: [1, 2])
            var rng = RandomGenerator(seed: 8)
            var finished = 0
            for _ in 0..<13 {
                let a = randomActions(count: 8, rng: &rng)
                try state.step(actions: a)
                try both.step(actions: a)
                for i in 0..<2 {
                    #expect(Array(both.buffers.observation(ofEnv: i).prefix(d)).map(\.bitPattern)
                            == Array(state.buffers.observation(ofEnv: i)).map(\.bitPattern))
                    #expect(both.buffers.isDone(i) == state.buffers.isDone(i))
                    if state.buffers.isDone(i) {
                        finished += 1
                        #expect(Array(both.buffers.finalObservation(ofEnv: i).prefix(d)).map(\.bitPattern)
                                == Array(state.buffers.finalObservation(ofEnv: i)).map(\.bitPattern))
                    }
                }
            }
            #expect(finished == 4, "two time limits in each environment")
        }

        @Test func pixelDemonstrationsStoreMetaWorldFramesAsBytesWithTheStateExpertsActions() throws {
            let pixels = try DemonstrationCollector(envID: "metaworld/reach-v3", numEnvs: 2,
                                                    options: .init(observation: .pixels, imageSize: 16)).collect(episodes: 2, seed: 1)
            let state = try DemonstrationCollector(envID: "metaworld/reach-v3", numEnvs: 2).collect(episodes: 2, seed: 1)
            #expect(pixels.image == ImageLayout(offset: 0, size: 16))
            #expect(pixels.actions == state.actions, "the worker's expert plans from the state either way")
        }
    }
}
