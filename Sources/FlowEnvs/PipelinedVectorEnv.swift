/// A `VectorEnv` whose environments can be stepped part by part, each part's step sent before and
/// received after the caller does other work: the rollout samples one part's chunks while another
/// part simulates (docs/architecture.md, "The rollout pipeline").
///
/// ```swift
/// let parts = env.stepParts(2)                                   // e.g. [0..<8, 8..<16]
/// try env.beginStep(actions: firstRows, environments: parts[0])   // returns once sent
/// // … sample chunks for parts[1] from its rows of env.buffers …
/// try env.finishStep(environments: parts[0])                     // waits, then writes parts[0]'s rows
/// ```
///
/// **Contract.**
/// - `environments` is one of the ranges that `stepParts` returned (for any count).
/// - `beginStep` reads `[environments.count × spec.actionDim]` actions (the part's rows only) and
///   treats them as `step` does: clipping, the `InvalidActionPolicy`, auto-reset.
/// - Between `beginStep` and `finishStep` of a part, its rows of `buffers` keep their previous
///   values; other parts may be begun, finished, read and written meanwhile. A part is finished
///   before it is begun again; parts in flight are finished in any order.
/// - Environment i's trajectory depends only on its seeds and its actions (as for `VectorEnv`), so
///   stepping part by part gives the same bits as `step` for the whole batch.
public protocol PipelinedVectorEnv: VectorEnv {
    /// At most `count` contiguous ranges that cover `0..<numEnvs`, in order, each of which can step
    /// while the others do not (fewer when the environment cannot be split that finely).
    func stepParts(_ count: Int) -> [Range<Int>]

    /// Sends one step of the part's environments and returns without waiting for it.
    func beginStep(actions: UnsafeBufferPointer<Float>, environments: Range<Int>) throws

    /// Waits for the part's step and writes its rows of `buffers`.
    func finishStep(environments: Range<Int>) throws
}
