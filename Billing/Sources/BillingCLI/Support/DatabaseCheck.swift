import Billing
import Logging
import Synchronization

/// A pre-flight check that the billing database answers, so that an unreachable one ends the
/// command with one clear line instead of connection retries that never end.
enum DatabaseCheck {
    /// Opens `url` and reads its clock; throws a ``CLIError`` when that fails or takes longer than `limit`.
    static func reachable(_ url: BillingStoreURL, within limit: Duration) async throws {
        var quiet = Logger(label: "billing.check")
        quiet.logLevel = .critical
        let logger = quiet
        // postgres-nio keeps retrying a refused connection and does not end on cancellation while
        // it waits, so neither a task group nor a cancellation could bound the wait: the attempt
        // and the timer race in tasks of their own, the first to finish answers, and the attempt
        // is abandoned on timeout (the command exits right after, which ends it).
        let outcome: Result<Void, any Error>? = await withCheckedContinuation { continuation in
            let answer = OneAnswer(continuation)
            Task {
                do {
                    try await url.withStore(logger: logger) { _ = try await $0.currentTime() }
                    answer.give(.success(()))
                } catch {
                    answer.give(.failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: limit)
                answer.give(nil)
            }
        }
        switch outcome {
        case .success:
            return
        case .failure(let error):
            let message = (error as? BillingError)?.message ?? "\(error)"
            throw CLIError("cannot open the billing database \(url): \(message)")
        case nil:
            throw CLIError(
                "cannot reach the billing database \(url) within \(limit); check that it runs and that the URL, user and password are right"
            )
        }
    }
}

/// Resumes a continuation with the first answer given; later answers are dropped.
private final class OneAnswer: Sendable {
    private let continuation: Mutex<CheckedContinuation<Result<Void, any Error>?, Never>?>

    init(_ continuation: CheckedContinuation<Result<Void, any Error>?, Never>) {
        self.continuation = Mutex(continuation)
    }

    func give(_ answer: Result<Void, any Error>?) {
        let waiting = continuation.withLock { stored -> CheckedContinuation<Result<Void, any Error>?, Never>? in
            defer { stored = nil }
            return stored
        }
        waiting?.resume(returning: answer)
    }
}
