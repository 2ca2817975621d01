import FlowEnvs
import Testing

/// The check that a finished episode's final row is its last frame, shared by the built-in tasks'
/// and the bridge's pixel observations: `short` (a 5-step time limit) and `long` (a longer one),
/// reset with one seed and stepped with the same five actions, must show the same frame, in
/// `short`'s final row and `long`'s current row; `short`'s current row is already the next episode's.
func expectFinalRowIsTheLastFrame(short: any VectorEnv, long: any VectorEnv, actions: [[Float]],
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
    try short.reset(seeds: [42])
    try long.reset(seeds: [42])
    for a in actions {
        try short.step(actions: a)
        try long.step(actions: a)
    }
    #expect(short.buffers.truncated[0] && !long.buffers.isDone(0), sourceLocation: sourceLocation)
    #expect(Array(short.buffers.finalObservation(ofEnv: 0)) == Array(long.buffers.observation(ofEnv: 0)), sourceLocation: sourceLocation)
    #expect(Array(short.buffers.observation(ofEnv: 0)) != Array(long.buffers.observation(ofEnv: 0)),
            "the current row is the next episode's first frame", sourceLocation: sourceLocation)
}
