/// The change step (c) makes to a subscription, guarded by what the engine read.
///
/// The write applies only while the row still has ``expectedVersion`` (and, as a second guard,
/// ``expectedPeriodEnd`` and ``expectedFailedAttempts``), and bumps the version; otherwise the row
/// changed underneath (canceled, edited, or renewed by someone else) and the store throws
/// ``BillingError/Code/concurrentModification``.
public struct SubscriptionTransition: Hashable, Sendable {
    /// The current period end the engine read.
    public var expectedPeriodEnd: Timestamp
    /// The failed-attempt count the engine read.
    public var expectedFailedAttempts: Int
    /// The row version the engine read (``StoredSubscription/version``).
    public var expectedVersion: Int64
    /// The new status.
    public var status: SubscriptionStatus
    /// The new current period start.
    public var currentPeriodStart: Timestamp
    /// The new current period end.
    public var currentPeriodEnd: Timestamp
    /// The new dunning state (nil clears it).
    public var retry: RetryState?
    /// Whether the row's scheduled plan becomes its plan: set for the renewal that charged the
    /// period the scheduled plan starts with, at its price (the version guard makes sure the
    /// schedule is still the one the engine read).
    public var appliesPendingPlan: Bool = false

    /// Creates a transition.
    public init(
        expectedPeriodEnd: Timestamp, expectedFailedAttempts: Int, expectedVersion: Int64, status: SubscriptionStatus,
        currentPeriodStart: Timestamp, currentPeriodEnd: Timestamp, retry: RetryState?
    ) {
        self.expectedPeriodEnd = expectedPeriodEnd
        self.expectedFailedAttempts = expectedFailedAttempts
        self.expectedVersion = expectedVersion
        self.status = status
        self.currentPeriodStart = currentPeriodStart
        self.currentPeriodEnd = currentPeriodEnd
        self.retry = retry
    }

    /// When the engine acts on the subscription next after the transition.
    public var nextDueAt: Timestamp? {
        switch status {
        case .active: currentPeriodEnd
        case .pastDue: retry?.nextAttemptAt
        case .canceled, .paused, .inactive, .actionRequired: nil
        }
    }
}
