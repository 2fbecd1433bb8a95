import Synchronization
import Testing

@testable import Billing

/// The renewal engine's group commit (``WriteBatcher``), on its own: batches form while one is
/// being written, results go to their own callers, and cancelled callers leave it working.
struct WriteBatcherTests {
    /// A write that records its batches and, while `held`, waits for `release` before answering.
    final class GatedWrite: Sendable {
        let batches = Mutex<[[Int]]>([])
        let entered = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let held = Mutex(true)

        func write(_ inputs: [Int]) async -> [Result<Int, any Error>] {
            batches.withLock { $0.append(inputs) }
            entered.continuation.yield()
            if held.withLock({ $0 }) {
                for await _ in release.stream { break }
            }
            return inputs.map { $0 < 0 ? .failure(BillingError(code: .concurrentModification, message: "row \($0)")) : .success($0 * 10) }
        }

        func open() {
            held.withLock { $0 = false }
            release.continuation.yield()
        }
    }

    private static func outcome(_ body: () async throws -> Int) async -> Result<Int, any Error> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    @Test func submissionsQueuedDuringAWriteGoTogetherAndGetTheirOwnResults() async throws {
        let gate = GatedWrite()
        let batcher = WriteBatcher<Int, Int> { await gate.write($0) }
        try await withThrowingTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
            group.addTask { (1, await Self.outcome { try await batcher.submit(1) }) }
            for await _ in gate.entered.stream { break }
            // The first write is held: these queue behind it, and go as one batch.
            for input in [2, -3, 4] {
                group.addTask { (input, await Self.outcome { try await batcher.submit(input) }) }
            }
            while batcher.queuedCount < 3 { await Task.yield() }
            gate.open()
            var results: [Int: Result<Int, any Error>] = [:]
            for try await (input, result) in group { results[input] = result }
            #expect(try results[1]?.get() == 10)
            #expect(try results[2]?.get() == 20)
            #expect(try results[4]?.get() == 40)
            #expect(throws: BillingError.self) { try results[-3]?.get() }
        }
        #expect(gate.batches.withLock { $0 }.map { $0.sorted() } == [[1], [-3, 2, 4]])
    }

    @Test func aWholeBatchFailureReachesEveryCaller() async throws {
        let batcher = WriteBatcher<Int, Int> { _ in throw BillingError(code: .staleFencingToken, message: "stale") }
        await withTaskGroup(of: BillingError.Code?.self) { group in
            for input in 0..<5 {
                group.addTask {
                    do {
                        _ = try await batcher.submit(input)
                        return nil
                    } catch {
                        return (error as? BillingError)?.code
                    }
                }
            }
            for await code in group { #expect(code == .staleFencingToken) }
        }
    }

    @Test func aCancelledQueuedCallerLeavesAtOnceAndTheBatcherKeepsWorking() async throws {
        let gate = GatedWrite()
        let batcher = WriteBatcher<Int, Int> { await gate.write($0) }
        let first = Task { try await batcher.submit(1) }
        for await _ in gate.entered.stream { break }
        let queued = Task { try await batcher.submit(2) }
        while batcher.queuedCount < 1 { await Task.yield() }
        queued.cancel()
        // It leaves while the write ahead of it is still held, and its row is never written.
        await #expect(throws: CancellationError.self) { try await queued.value }
        let already = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await batcher.submit(3)
        }
        await #expect(throws: CancellationError.self) { try await already.value }
        gate.open()
        #expect(try await first.value == 10)
        #expect(try await batcher.submit(4) == 40)
        #expect(gate.batches.withLock { $0 } == [[1], [4]])
    }

    @Test func aCallerCancelledWhileItsBatchIsWrittenLeavesAtOnceAndTheOthersGetTheirResults() async throws {
        let gate = GatedWrite()
        let batcher = WriteBatcher<Int, Int> { await gate.write($0) }
        let first = Task { try await batcher.submit(1) }
        for await _ in gate.entered.stream { break }
        // Two more queue behind the running statement and go together as the next batch.
        let second = Task { try await batcher.submit(7) }
        let third = Task { try await batcher.submit(8) }
        while batcher.queuedCount < 2 { await Task.yield() }
        first.cancel()
        // The statement is still held: the cancelled caller does not wait for it.
        await #expect(throws: CancellationError.self) { try await first.value }
        gate.open()
        #expect(try await third.value == 80)
        #expect(try await second.value == 70)
        #expect(gate.batches.withLock { $0 } == [[1], [7, 8]])
    }
}
