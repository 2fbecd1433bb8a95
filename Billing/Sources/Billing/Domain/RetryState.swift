/// Dunning progress of a past-due subscription.
public struct RetryState: Hashable, Sendable {
    /// How many charge attempts for the unpaid period have failed so far (1 after the first).
    public var failedAttempts: Int
    /// When the next attempt is due; nil when no further attempt is scheduled.
    public var nextAttemptAt: Timestamp?

    /// Creates a retry state.
    public init(failedAttempts: Int, nextAttemptAt: Timestamp?) {
        self.failedAttempts = failedAttempts
        self.nextAttemptAt = nextAttemptAt
    }
}
