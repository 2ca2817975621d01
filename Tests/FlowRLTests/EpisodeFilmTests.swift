import FlowEnvs
import FlowNN
import FlowPolicy
import FlowRL
import FlowTensor
import SafeTensors
import FlowTestSupport
import Foundation
import Testing

/// Filmed evaluation episodes: they are the evaluation's own first episodes, and their frames are
/// what the camera (or the drawn scene) showed.
@Suite struct EpisodeFilmTests {
    func policy(observationDim: Int, image: ImageInput? = nil) -> FlowPolicy {
        var config = FlowPolicyConfig(observationDim: observationDim, actionDim: 2)
        config.image = image
        var rng = RandomGenerator(seed: 1)
        return FlowPolicy(config: config, rng: &rng)
    }

    @Test func aFilmShowsTheEvaluationsFirstEpisodesWithTheirOutcomes() throws {
        let env = try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: 1)
        let p = policy(observationDim: env.spec.observationDim)
        let evaluator = Evaluator(envID: "reach-obstacle", episodes: 3)
        let report = try evaluator.evaluate(p)
        let film = try #require(try evaluator.film(p, episodes: 3, framesPerEpisode: 5, frameSize: 16))
        #expect(film.size == 16 && film.episodes.count == 3)
        for (episode, outcome) in zip(film.episodes, report.outcomes) {
            #expect(episode.success == outcome.success && episode.length == outcome.length)
            #expect(episode.frames.count == min(5, outcome.length + 1) && episode.frames.allSatisfy { $0.count == 16 * 16 * 3 })
            #expect(episode.task == "reach-obstacle" && episode.instruction == env.spec.tasks[0].instruction)
        }
        // The first frame is the reset scene of the evaluation's first seed.
        let fresh = try BuiltinEnvironments.make(id: "reach-obstacle", numEnvs: 1)
        try fresh.reset(seeds: [evaluator.seed])
        var frame = [UInt8](repeating: 0, count: 16 * 16 * 3)
        frame.withUnsafeMutableBufferPointer { (fresh as! any FrameRendering).renderFrames(size: 16, into: $0) }
        #expect(film.episodes[0].frames[0] == frame)
    }

    @Test func aPixelPolicysFilmIsItsOwnCameraAndAFilmFileReadsBack() throws {
        var encoder = ImageEncoder.Config()
        encoder.stemChannels = 8
        encoder.blockChannels = [8]
        encoder.blockStrides = [1]
        let p = policy(observationDim: 16 * 16 * 3, image: ImageInput(offset: 0, size: 16, encoder: encoder))
        let film = try #require(try Evaluator(envID: "push", episodes: 2).film(p, episodes: 2, framesPerEpisode: 4, frameSize: 64))
        #expect(film.size == 16, "a pixel policy's film is at its own image size")
        let env = try BuiltinEnvironments.make(id: "push", numEnvs: 1, options: .init(observation: .pixels, imageSize: 16))
        try env.reset(seeds: [Evaluator(envID: "push").seed])
        #expect(film.episodes[0].frames[0] == env.buffers.observations.map { UInt8(($0 * 255).rounded()) })
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try film.write(to: dir + "/film.safetensors", stage: "after RL")
        let again = try #require(EpisodeFilm.read(from: dir + "/film.safetensors"))
        #expect(again.film == film && again.stage == "after RL")
        #expect(EpisodeFilm.read(from: dir + "/missing.safetensors") == nil)
        // Dictionary order changes from process to process; sorted keys make a run's films bit-identical.
        let episodes = try #require(try SafeTensorsFile.read(from: dir + "/film.safetensors").metadata["episodes"])
        #expect(episodes.hasPrefix(#"[{"instruction":"push the block onto the target pose","length":"#),
                "the episode list is written with sorted keys")
    }

    @Test func aStatePolicyOnASimulatorWithoutACameraHasNoFilm() throws {
        let p = policy(observationDim: 39)
        #expect(try Evaluator(envID: "metaworld/reach-v3").film(p) == nil)
    }
}
