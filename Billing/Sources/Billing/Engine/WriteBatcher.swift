import Synchronization

/// Group commit for the renewal engine's store writes: concurrent renewals submit one write each;
/// while a batch is being written, new submissions queue, and when it is done the whole queue
/// goes as the next batch. Under light load a write goes alone and at once (no timer, no added
/// wait); under heavy load one statement carries many rows, which is what saves the database its
/// per-statement and per-transaction work.
///
/// Batches run in an unstructured task so that one cancelled waiter cannot abort the write its
/// neighbours wait for. A cancelled waiter leaves at once with `CancellationError`: one still
/// queued is never written; one whose batch is running does not wait for it (a statement on a
/// connection that a partition cut off may not end for minutes), and its row may still be
/// written afterwards. That is safe for the same reason as any slow write: the batch is fenced
/// in its statement, and whatever it leaves pending the next pass reconciles.
final class WriteBatcher<Input: Sendable, Output: Sendable>: Sendable {
    /// Writes a batch: one result per input, in order, or throws for the whole batch.
    typealias Write = @Sendable ([Input]) async throws -> [Result<Output, any Error>]

    private struct Waiter {
        let id: UInt64
        let input: Input
        let continuation: CheckedContinuation<Output, any Error>
    }

    private struct State {
        var queue: [Waiter] = []
        /// The waiters of the batch being written, until they are answered or leave.
        var writingFor: [UInt64: Waiter] = [:]
        var writing = false
        var nextID: UInt64 = 0
    }

    private let write: Write
    private let state = Mutex(State())

    init(write: @escaping Write) {
        self.write = write
    }

    /// How many submissions wait for the next batch (for tests).
    var queuedCount: Int { state.withLock { $0.queue.count } }

    /// Writes `input` in the next batch and returns its own result.
    /// - Throws: the row's error, the batch's error, or `CancellationError` when cancelled while queued.
    func submit(_ input: Input) async throws -> Output {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let startWriting = state.withLock { state -> Bool? in
                    // Checked under the lock: a cancellation handler that ran before the append
                    // found nothing to remove, so the waiter must not be queued at all.
                    if Task.isCancelled { return nil }
                    state.queue.append(Waiter(id: id, input: input, continuation: continuation))
                    if state.writing { return false }
                    state.writing = true
                    return true
                }
                switch startWriting {
                case nil: continuation.resume(throwing: CancellationError())
                case true?: Task { await self.drain() }
                case false?: break
                }
            }
        } onCancel: {
            let removed = state.withLock { state -> Waiter? in
                if let waiter = state.writingFor.removeValue(forKey: id) { return waiter }
                guard let index = state.queue.firstIndex(where: { $0.id == id }) else { return nil }
                return state.queue.remove(at: index)
            }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Writes batches until the queue is empty.
    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Waiter] in
                let batch = state.queue
                state.queue.removeAll(keepingCapacity: true)
                if batch.isEmpty { state.writing = false }
                for waiter in batch { state.writingFor[waiter.id] = waiter }
                return batch
            }
            if batch.isEmpty { return }
            let outcome: Result<[Result<Output, any Error>], any Error>
            do {
                let results = try await write(batch.map(\.input))
                guard results.count == batch.count else {
                    throw BillingError.invalidStoreData("a batched write answered \(results.count) results for \(batch.count) rows")
                }
                outcome = .success(results)
            } catch {
                outcome = .failure(error)
            }
            // Only the waiters still here get an answer: the others left when cancelled.
            let answering = state.withLock { state in batch.map { state.writingFor.removeValue(forKey: $0.id) } }
            for (index, waiter) in answering.enumerated() {
                guard let waiter else { continue }
                switch outcome {
                case .success(let results): waiter.continuation.resume(with: results[index])
                case .failure(let error): waiter.continuation.resume(throwing: error)
                }
            }
        }
    }
}
