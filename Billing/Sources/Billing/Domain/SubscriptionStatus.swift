/// Where a subscription stands.
public enum SubscriptionStatus: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Paid up; renews at the end of the current period.
    case active
    /// The last renewal failed; dunning retries are scheduled (see ``RetryState``).
    case pastDue = "past_due"
    /// Ended: canceled at a period end, or after dunning gave up. Never renews again.
    case canceled
    /// Collection paused (through the API): not charged until resumed; dunning stops where it
    /// stands, and periods that end meanwhile are skipped, not owed.
    case paused
    /// Not billed (imported, or not yet started); never renews until made active.
    case inactive
    /// The last renewal's charge waits for the customer to authenticate it (strong customer
    /// authentication): not retried; the charge completes, or fails into dunning, when the
    /// provider reports what the customer did (a webhook, or the engine's lookup).
    case actionRequired = "action_required"

    /// Reads a stored status name (`active`, `past_due`, `action_required`, `paused`, `canceled`, `inactive`).
    /// - Throws: ``BillingError/Code/invalidSubscription`` for any other name.
    public init(name: String) throws(BillingError) {
        guard let status = SubscriptionStatus(rawValue: name) else {
            throw BillingError(
                code: .invalidSubscription,
                message: "unknown subscription status '\(name)'; expected one of \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = status
    }

    public var description: String { rawValue }
}
