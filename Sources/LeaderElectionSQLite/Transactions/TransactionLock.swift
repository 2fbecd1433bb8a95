import Synchronization

/// A first-in-first-out mutex for async code: keeps ``SQLiteTransactionRunner``'s one connection
/// from interleaving two transactions. Waiting is cancellable; the lock is handed to waiters in
/// arrival order.
final class TransactionLock: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var isLocked = false
        var nextWaiterID: UInt64 = 0
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())

    init() {}

    /// Runs `body` while holding the lock.
    /// - Parameter cancellable: Whether waiting for the lock throws `CancellationError` when the
    ///   task is cancelled (otherwise waiting ignores cancellation).
    func withLock<T>(cancellable: Bool = true, _ body: () async throws -> T) async throws -> T {
        try await acquire(cancellable: cancellable)
        defer { release() }
        return try await body()
    }

    private func acquire(cancellable: Bool) async throws {
        let id = state.withLock { state -> UInt64? in
            if !state.isLocked {
                state.isLocked = true
                return nil
            }
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case acquired, cancelled, waiting }
                let outcome = state.withLock { state -> Outcome in
                    if cancellable && Task.isCancelled { return .cancelled }
                    if !state.isLocked {
                        state.isLocked = true
                        return .acquired
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return .waiting
                }
                switch outcome {
                case .acquired: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            guard cancellable else { return }
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    private func release() {
        let next = state.withLock { state -> Waiter? in
            if state.waiters.isEmpty {
                state.isLocked = false
                return nil
            }
            // The lock passes straight to the oldest waiter; it stays locked.
            return state.waiters.removeFirst()
        }
        next?.continuation.resume()
    }
}
