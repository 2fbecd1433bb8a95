import Synchronization

/// Runs a database call so that its caller can always leave: on cancellation at once, and after
/// a time limit with ``BillingError/Code/storeUnavailable``.
///
/// Why: a postgres-nio query on a connection that a partition or a pause cut off waits for TCP
/// to give up (minutes) and does not honour cancellation. A leader whose leadership has ended must
/// stop its work promptly, so the caller stops waiting and the call goes on in an unstructured task
/// until the connection fails. That is safe because every engine write is fenced inside its own
/// statement: if the abandoned write still lands, it lands only while its token is the highest,
/// exactly as if it had been slow; a caller that left treats it as failed, and the next pass
/// reconciles whatever it left pending.
struct AbandonableCall {
    /// How long a call may take before its caller is told it failed; nil waits as long as it takes.
    let timeLimit: Duration?
    /// Named in the time-out error: the database's display name.
    let databaseName: String

    /// Runs `operation` and returns or throws its outcome, unless the calling task is cancelled
    /// (throws `CancellationError`) or ``timeLimit`` passes first (throws `storeUnavailable`).
    func run<Value: Sendable>(_ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        try Task.checkCancellation()
        let outcome = Outcome<Value>()
        let work = Task { outcome.deliver(await Result.capturing(operation)) }
        let timer = timeLimit.map { limit in
            Task { [databaseName] in
                try await Task.sleep(for: limit)
                let message = "PostgreSQL at \(databaseName) did not answer a billing call within \(limit); check that it is reachable, then retry"
                outcome.deliver(.failure(BillingError.storeUnavailable(message)))
                work.cancel()
            }
        }
        defer { timer?.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedContinuation { continuation in
                outcome.wait(continuation)
            }.get()
        } onCancel: {
            outcome.deliver(.failure(CancellationError()))
            work.cancel()
        }
    }
}

extension AbandonableCall {
    /// The first outcome delivered (the call's, the timer's or cancellation's), handed to the one
    /// waiting continuation whichever of the two comes first.
    private final class Outcome<Value: Sendable>: Sendable {
        private enum State {
            case empty
            case waiting(CheckedContinuation<Result<Value, any Error>, Never>)
            case delivered(Result<Value, any Error>)
            case done
        }

        private let state = Mutex(State.empty)

        func wait(_ continuation: CheckedContinuation<Result<Value, any Error>, Never>) {
            let ready: Result<Value, any Error>? = state.withLock { state in
                switch state {
                case .empty:
                    state = .waiting(continuation)
                    return nil
                case .delivered(let result):
                    state = .done
                    return result
                case .waiting, .done:
                    preconditionFailure("AbandonableCall waited twice")
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }

        func deliver(_ result: Result<Value, any Error>) {
            let waiting: CheckedContinuation<Result<Value, any Error>, Never>? = state.withLock { state in
                switch state {
                case .empty:
                    state = .delivered(result)
                    return nil
                case .waiting(let continuation):
                    state = .done
                    return continuation
                case .delivered, .done:
                    return nil
                }
            }
            waiting?.resume(returning: result)
        }
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing call.
    fileprivate static func capturing(_ body: () async throws -> Success) async -> Self {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }
}
