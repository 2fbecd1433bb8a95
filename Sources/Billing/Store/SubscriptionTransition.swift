/// The change step (c) makes to a subscription, guarded by what the engine read.
///
/// The write applies only while the row still has ``expectedPeriodEnd`` and
/// ``expectedFailedAttempts``; otherwise the row changed underneath (edited, or renewed by someone
/// else) and the store throws ``BillingError/Code/concurrentModification``.
public struct SubscriptionTransition: Hashable, Sendable {
    /// The current period end the engine read.
    public var expectedPeriodEnd: Timestamp
    /// The failed-attempt count the engine read.
    public var expectedFailedAttempts: Int
    /// The new status.
    public var status: SubscriptionStatus
    /// The new current period start.
    public var currentPeriodStart: Timestamp
    /// The new current period end.
    public var currentPeriodEnd: Timestamp
    /// The new dunning state (nil clears it).
    public var retry: RetryState?

    /// Creates a transition.
    public init(expectedPeriodEnd: Timestamp, expectedFailedAttempts: Int, status: SubscriptionStatus, currentPeriodStart: Timestamp, currentPeriodEnd: Timestamp, retry: RetryState?) {
        self.expectedPeriodEnd = expectedPeriodEnd
        self.expectedFailedAttempts = expectedFailedAttempts
        self.status = status
        self.currentPeriodStart = currentPeriodStart
        self.currentPeriodEnd = currentPeriodEnd
        self.retry = retry
    }

    /// When the engine acts on the subscription next after the transition.
    var nextDueAt: Timestamp? {
        switch status {
        case .active: currentPeriodEnd
        case .pastDue: retry?.nextAttemptAt
        case .canceled, .inactive: nil
        }
    }
}
