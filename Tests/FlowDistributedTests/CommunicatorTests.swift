import FlowDistributed
import Foundation
import Testing

/// The collectives as one process sees them, and the order of the rank-order sums (the MPI jobs
/// themselves run in FlowTuneCLITests' data-parallel tests).
@Suite struct CommunicatorTests {
    @Test func oneProcessIsRankZeroOfOneAndItsCollectivesReturnTheirInput() {
        let world = SingleProcess()
        #expect(world.rank == 0 && world.size == 1 && world.isRoot)
        let x: [Float] = [1.5, -2, 0.1]
        #expect(world.sumInRankOrder(x) == x)
        #expect(world.allGatherVariable(x) == [x])
        #expect(world.any(true) && !world.any(false))
    }

    /// A fake world of several ranks whose gather returns fixed per-rank values: the sum is formed in
    /// Float64 in rank order and rounded once, and variable-length gathers drop the padding.
    @Test func rankOrderSumsAddInFloat64AndVariableGathersDropThePadding() {
        let world = FixedRanks(values: [[1e8, 1], [1, 2], [-1e8, 3]])
        // In Float32, 1e8 + 1 rounds back to 1e8 and the 1 is lost; summed in Float64 it stays.
        #expect(world.sumInRankOrder([Float(0), 0]) == [1, 6])
        let gathered = FixedRanks(values: [[1, 2, 3], [4], []]).allGatherVariable([0])
        #expect(gathered == [[1, 2, 3], [4], []])
    }

    @Test func withoutALauncherTheWorldIsOneProcess() throws {
        guard !Communicators.launchedAsRank else { return }
        #expect(try Communicators.world().size == 1)
    }
}

/// Ranks whose `allGather` answers with `values` (rank r's row), whatever this rank passes: enough
/// to test the rank-order arithmetic built on the collectives.
private final class FixedRanks: Communicator {
    let values: [[Float]]
    init(values: [[Float]]) { self.values = values }
    var rank: Int { 0 }
    var size: Int { values.count }
    func allGather(_ mine: [Double]) -> [Double] {
        // The count gather of allGatherVariable: each rank's count.
        values.map { Double($0.count) }
    }
    func allGather(_ mine: [Float]) -> [Float] {
        let longest = values.map(\.count).max() ?? 0
        let width = max(mine.count, longest)
        return values.flatMap { $0 + [Float](repeating: 0, count: width - $0.count) }
    }
    func abort(code: Int32) -> Never { fatalError("abort \(code)") }
}
