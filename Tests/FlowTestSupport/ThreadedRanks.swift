import FlowDistributed
import Foundation

/// The ranks of a data-parallel job as threads of this process, for tests of the data-parallel
/// code without MPI: `ThreadedRanks.run(3) { world in … }` runs the body once per rank, each on its
/// own thread with its own communicator, and returns the bodies' results in rank order.
public enum ThreadedRanks {
    public static func run<T: Sendable>(_ size: Int, _ body: @escaping @Sendable (any Communicator) throws -> T) throws -> [T] {
        let exchange = Exchange(size: size)
        let results = ResultSlots<T>(size: size)
        let threads = (0..<size).map { rank in
            Thread {
                let comm = ThreadRank(rank: rank, exchange: exchange)
                results.set(rank, Result { try body(comm) })
            }
        }
        threads.forEach { $0.stackSize = 8 << 20; $0.start() }
        return try results.waitAll().map { try $0.get() }
    }
}

/// One rank's view: gathers go through the shared exchange.
private final class ThreadRank: Communicator, @unchecked Sendable {
    let rank: Int
    let exchange: Exchange
    init(rank: Int, exchange: Exchange) { (self.rank, self.exchange) = (rank, exchange) }
    var size: Int { exchange.size }
    func allGather(_ values: [Double]) -> [Double] { exchange.gather(rank, values.map { $0 }) }
    func allGather(_ values: [Float]) -> [Float] { exchange.gather(rank, values.map { Double($0) }).map { Float($0) } }
    func abort(code: Int32) -> Never { fatalError("rank \(rank) aborted the job with code \(code)") }
}

/// A reusable all-gather: every rank deposits its values, the last one to arrive publishes the
/// concatenation, and a generation counter keeps successive gathers apart.
private final class Exchange: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var slots: [[Double]?]
    private var arrived = 0
    private var generation = 0
    private var published: [Double] = []

    init(size: Int) {
        self.size = size
        slots = Array(repeating: nil, count: size)
    }

    func gather(_ rank: Int, _ values: [Double]) -> [Double] {
        condition.lock()
        defer { condition.unlock() }
        let myGeneration = generation
        slots[rank] = values
        arrived += 1
        if arrived == size {
            published = slots.flatMap { $0! }
            slots = Array(repeating: nil, count: size)
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == myGeneration { condition.wait() }
        }
        return published
    }
}

private final class ResultSlots<T>: @unchecked Sendable {
    private let condition = NSCondition()
    private var results: [Result<T, any Error>?]
    init(size: Int) { results = Array(repeating: nil, count: size) }
    func set(_ rank: Int, _ result: Result<T, any Error>) {
        condition.lock(); results[rank] = result; condition.broadcast(); condition.unlock()
    }
    func waitAll() -> [Result<T, any Error>] {
        condition.lock(); defer { condition.unlock() }
        while results.contains(where: { $0 == nil }) { condition.wait() }
        return results.map { $0! }
    }
}
