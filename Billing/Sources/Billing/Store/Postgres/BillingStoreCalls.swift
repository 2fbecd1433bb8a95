import LeaderElection

/// Runs the PostgreSQL billing store's calls so that their caller can always leave: on
/// cancellation at once, and after a time limit with ``BillingError/Code/storeUnavailable``
/// (through the election library's `AbandonableCall`).
///
/// Why: a postgres-nio query on a connection that a partition or a pause cut off waits for TCP
/// to give up (minutes) and does not honour cancellation. A leader whose leadership has ended must
/// stop its work promptly, so the caller stops waiting and the call goes on in an unstructured task
/// until the connection fails. That is safe because every engine write is fenced inside its own
/// statement: if the abandoned write still lands, it lands only while its token is the highest,
/// exactly as if it had been slow; a caller that left treats it as failed, and the next pass
/// reconciles whatever it left pending.
struct BillingStoreCalls {
    /// How long a call may take before its caller is told it failed; nil waits as long as it takes.
    let timeLimit: Duration?
    /// Named in the time-out error: the database's display name.
    let databaseName: String

    /// Runs `operation` and returns or throws its outcome, unless the calling task is cancelled
    /// (throws `CancellationError`) or ``timeLimit`` passes first (throws `storeUnavailable`).
    func run<Value: Sendable>(_ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        guard let timeLimit else { return try await AbandonableCall.run(operation) }
        let message =
            "PostgreSQL at \(databaseName) did not answer a billing call within \(timeLimit); check that it is reachable, then retry"
        return try await AbandonableCall.run(
            timer: { @Sendable () async throws -> any Error in
                try await Task.sleep(for: timeLimit)
                return BillingError.storeUnavailable(message)
            },
            operation
        )
    }
}
