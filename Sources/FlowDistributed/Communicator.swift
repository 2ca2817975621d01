import Foundation

/// The processes of one data-parallel job and the collectives they need (docs/distributed.md).
///
/// ```swift
/// let world = try Communicators.world()          // MPI's ranks under mpirun, else one process
/// let mean = world.sumInRankOrder(localGradient).map { $0 / Float(world.size) }
/// ```
///
/// Every collective must be called by every rank, in the same order, with the same count where a
/// count is asked for; a rank that skips one leaves the others waiting. Sums are formed by gathering
/// every rank's values and adding them in rank order, so they are the same bits on every rank and in
/// every run (MPI's own reductions may add in any order).
public protocol Communicator: AnyObject {
    /// This process's index, 0 ..< size.
    var rank: Int { get }
    /// The number of processes in the job.
    var size: Int { get }
    /// Every rank's `values`, concatenated in rank order; every rank passes the same count.
    func allGather(_ values: [Double]) -> [Double]
    /// Every rank's `values`, concatenated in rank order; every rank passes the same count.
    func allGather(_ values: [Float]) -> [Float]
    /// Ends the whole job at once (every rank), after a fatal error on this one.
    func abort(code: Int32) -> Never
}

extension Communicator {
    /// Whether this process writes the run directory, the logs and the checkpoints.
    public var isRoot: Bool { rank == 0 }

    /// The element-wise sum over ranks of `values`, added in rank order in Float64 and rounded once:
    /// the same bits on every rank. With one process, `values` themselves.
    public func sumInRankOrder(_ values: [Float]) -> [Float] {
        guard size > 1 else { return values }
        let all = allGather(values), n = values.count
        var out = [Float](repeating: 0, count: n)
        all.withUnsafeBufferPointer { a in
            for j in 0..<n {
                var total = 0.0
                for r in 0..<size { total += Double(a[r * n + j]) }
                out[j] = Float(total)
            }
        }
        return out
    }

    /// The element-wise sum over ranks of `values`, added in rank order: the same bits on every rank.
    public func sumInRankOrder(_ values: [Double]) -> [Double] {
        guard size > 1 else { return values }
        let all = allGather(values), n = values.count
        return (0..<n).map { j in (0..<size).reduce(0.0) { $0 + all[$1 * n + j] } }
    }

    /// Every rank's `values` whatever their count, in rank order (the counts are gathered first).
    public func allGatherVariable(_ values: [Float]) -> [[Float]] {
        guard size > 1 else { return [values] }
        let counts = allGather([Double(values.count)]).map { Int($0) }
        let longest = counts.max() ?? 0
        let padded = values + [Float](repeating: 0, count: longest - values.count)
        let all = allGather(padded)
        return (0..<size).map { r in Array(all[(r * longest)..<(r * longest + counts[r])]) }
    }

    /// Whether `condition` holds on any rank (so every rank takes the same branch).
    public func any(_ condition: Bool) -> Bool {
        guard size > 1 else { return condition }
        return allGather([condition ? 1.0 : 0.0]).contains { $0 != 0 }
    }
}

/// A job of one process: every collective returns its own input.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allGather(_ values: [Double]) -> [Double] { values }
    public func allGather(_ values: [Float]) -> [Float] { values }
    public func abort(code: Int32) -> Never { exit(code) }
}

/// A communicator that adds up the wall-clock time its collectives take, waiting for the slowest
/// rank included (`communication_seconds` in metrics.jsonl, `flowtune bench scaling`).
public final class TimedCommunicator: Communicator {
    public let inner: any Communicator
    /// Seconds spent in collectives since the last `takeSeconds()`.
    public private(set) var seconds = 0.0

    public init(_ inner: any Communicator) { self.inner = inner }

    public var rank: Int { inner.rank }
    public var size: Int { inner.size }

    public func allGather(_ values: [Double]) -> [Double] { timed { inner.allGather(values) } }
    public func allGather(_ values: [Float]) -> [Float] { timed { inner.allGather(values) } }
    public func abort(code: Int32) -> Never { inner.abort(code: code) }

    /// The seconds counted so far, and a fresh count from zero.
    public func takeSeconds() -> Double {
        defer { seconds = 0 }
        return seconds
    }

    private func timed<T>(_ body: () -> T) -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return body()
    }
}
