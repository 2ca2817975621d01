import FlowEnvs
import FlowTensor
import FlowTestSupport
import Foundation
import Testing

/// W4 of `flowtune bench compare` must give the peers FlowTune's work: their numpy port of
/// `reach-obstacle` (`reach_obstacle_transition` in bench/peers/rl_iteration.py) moves the agent,
/// pays rewards and ends episodes exactly as FlowTune's environment does.
@Suite struct PeerEnvironmentTests {
    @Test(.requiresPython("numpy"))
    func thePeersReachObstacleStepsAsFlowTunesEnvironment() throws {
        let n = 64, steps = 150, maxStep: Float = 0.05
        let env = ReachObstacleEnv(numEnvs: n)
        try env.reset(seeds: (0..<n).map { UInt64($0) })
        // Even environments follow the noisy scripted expert (successes, and grazing the obstacle's
        // ends); odd ones drive upward with random sideways speed (they hit its bottom face and slide).
        let expert = ReachObstacleExpert(env: env, noiseStd: 0.3, seed: 1)
        var rng = RandomGenerator(seed: 2)
        var expertActions = [Float](repeating: 0, count: n * 2)
        var states: [Float] = [], actions: [Float] = [], nextStates: [Float] = [], successes: [Float] = []
        var blockedX = 0, blockedY = 0
        for _ in 0..<steps {
            let before = Array(env.buffers.observations)
            expert.act(env.buffers, into: &expertActions)
            var a = [Float](repeating: 0, count: n * 2)
            for i in 0..<n {
                if i % 2 == 0 {
                    a[2 * i] = min(max(expertActions[2 * i], -1), 1)
                    a[2 * i + 1] = min(max(expertActions[2 * i + 1], -1), 1)
                } else {
                    a[2 * i] = rng.nextUniform(-1, 1)
                    a[2 * i + 1] = rng.nextUniform(0.2, 1)
                }
            }
            try env.step(actions: a)
            for i in 0..<n {
                let ended = env.buffers.terminated[i] || env.buffers.truncated[i]
                let source = ended ? env.buffers.finalObservations : env.buffers.observations
                let row = Array(source[(8 * i)..<(8 * i + 8)])
                // Motion the sweep stopped (not the table's edge): the obstacle was hit on that axis.
                for axis in 0..<2 {
                    let free = before[8 * i + axis] + a[2 * i + axis] * maxStep
                    if abs(row[axis] - free) > 1e-5 && abs(free) < 1 {
                        if axis == 0 { blockedX += 1 } else { blockedY += 1 }
                    }
                }
                states += before[(8 * i)..<(8 * i + 8)]
                actions += a[(2 * i)..<(2 * i + 2)]
                nextStates += row
                successes.append(env.buffers.success[i] ? 1 : 0)
            }
        }
        #expect(blockedX > 0 && blockedY > 0, "the case must hit the obstacle's sides (\(blockedX)) and faces (\(blockedY))")
        #expect(successes.contains(1), "the case must contain successes")

        let directory = try makeTemporaryDirectory("peer-environment")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = directory + "/case.json"
        try JSONSerialization.data(withJSONObject: ["states": states, "actions": actions]).write(to: URL(fileURLWithPath: input))
        let result = try TestPython.run("""
            import json, sys
            import numpy as np
            sys.path.insert(0, "\(PeerEquivalenceTests.peersDirectory)")
            from rl_iteration import reach_obstacle_transition
            case = json.load(open(sys.argv[1]))
            states = np.asarray(case["states"], np.float32).reshape(-1, 8)
            actions = np.asarray(case["actions"], np.float32).reshape(-1, 2)
            nxt, reward, success = reach_obstacle_transition(states, actions)
            print(json.dumps({"next": nxt.reshape(-1).tolist(), "reward": reward.tolist(), "success": success.astype(float).tolist()}))
            """, [input])
        try #require(result.status == 0, "numpy port failed: \(result.stderr)")
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let peer = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [Double]])
        let next = try #require(peer["next"]), reward = try #require(peer["reward"]), success = try #require(peer["success"])
        try #require(next.count == nextStates.count && success.count == successes.count)
        let worst = zip(next, nextStates).map { abs($0 - Double($1)) }.max() ?? 0
        #expect(worst <= 1e-6, "largest state difference \(worst)")
        let successMismatches = zip(success, successes).filter { $0 != Double($1) }.count
        let rewardMismatches = zip(reward, successes).filter { $0 != Double($1) }.count
        #expect(successMismatches == 0, "successes differ in \(successMismatches) of \(successes.count) steps")
        #expect(rewardMismatches == 0, "rewards (1 on success, else 0) differ in \(rewardMismatches) steps")
    }
}
