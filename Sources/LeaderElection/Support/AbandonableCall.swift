import Synchronization

/// Runs a store call so that its caller can always leave: at once when the caller is cancelled,
/// and when a timer (if given) fires first.
///
/// Why: a call on a connection that a partition or a paused peer cut off can wait for TCP to give
/// up (minutes) and may not honour cancellation. An election must end its term, and campaign
/// again, on its own schedule; so the caller stops waiting and the call goes on in an unstructured
/// task, cancelled, until it ends by itself. That is safe for the election because nothing the
/// call does later can extend this process's deadline, which is measured from acknowledgements
/// the caller saw; and for a fenced write because it lands only while its token is the highest.
///
/// A backend whose client library can block past cancellation (see "Implementing a backend")
/// wraps such calls in ``run(timer:_:)`` to keep the ``ElectionBackend`` contract.
public enum AbandonableCall {
    /// Returns or throws what `operation` does, unless the calling task is cancelled first (throws
    /// `CancellationError`) or `timer` returns first (throws the error it returns). Either way the
    /// operation's task is cancelled and no longer awaited.
    public static func run<Value: Sendable>(
        timer: (@Sendable () async throws -> any Error)? = nil,
        _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        try Task.checkCancellation()
        let outcome = Outcome<Value>()
        let work = Task { outcome.deliver(await Result.capturing(operation)) }
        let timing = timer.map { timer in
            Task {
                // A cancelled timer (the call ended first) delivers nothing.
                guard let error = try? await timer() else { return }
                outcome.deliver(.failure(error))
                work.cancel()
            }
        }
        defer { timing?.cancel() }
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
