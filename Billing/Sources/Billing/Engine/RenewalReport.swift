/// What one pass of the renewal engine did.
public struct RenewalReport: Hashable, Sendable, CustomStringConvertible {
    /// A subscription row that could not be billed, and why.
    public struct BadRow: Hashable, Sendable {
        /// The row's id.
        public var subscriptionID: String
        /// What is wrong with it.
        public var reason: String

        /// Creates an entry.
        public init(subscriptionID: String, reason: String) {
            self.subscriptionID = subscriptionID
            self.reason = reason
        }
    }

    /// The agreed "now" every due decision of the pass used.
    public var now: Timestamp
    /// Periods paid (each a charge the provider accepted), reconciled ones included.
    public var charged = 0
    /// Charges the provider declined (or failed without charging after in-pass retries).
    public var declined = 0
    /// Dunning retries scheduled after a failure.
    public var retriesScheduled = 0
    /// Subscriptions canceled because dunning ended or a hard decline stopped it.
    public var canceledForNonPayment = 0
    /// Subscriptions that ended at their period end (cancel-at-period-end), without a charge.
    public var endedAtPeriodEnd = 0
    /// Charges left open for now (outcome unknown, or the provider not reached); a later pass
    /// asks again with the same key, after a back-off.
    public var unknown = 0
    /// Charges the provider accepted and settles later (processing, or a lookup that found them
    /// still so): open, never sent again; a webhook or a later lookup settles them.
    public var settlingAtProvider = 0
    /// Charges waiting for their customer to authenticate them (their subscriptions are
    /// `action_required`), counted each time the engine records or looks at one.
    public var actionRequired = 0
    /// Charges parked for an operator this pass (the provider rejected the request itself, or a
    /// lookup past the key's retention was impossible or ambiguous); nothing more is sent for them.
    public var parkedForReview = 0
    /// Charges that succeeded on a subscription canceled meanwhile: recorded, flagged for a refund review.
    public var refundReviews = 0
    /// Charges left pending because the provider kept rate-limiting; the next pass retries them.
    public var deferred = 0
    /// Pending or unknown charges from earlier passes (or leaders) that this pass resolved.
    public var reconciled = 0
    /// Renewals not written because their subscription changed meanwhile.
    public var conflicts = 0
    /// Rows reported and skipped.
    public var badRows: [BadRow] = []

    /// An empty report for a pass at `now`.
    public init(now: Timestamp) {
        self.now = now
    }

    /// Adds another report's counts to this one's.
    mutating func merge(_ other: RenewalReport) {
        charged += other.charged
        declined += other.declined
        retriesScheduled += other.retriesScheduled
        canceledForNonPayment += other.canceledForNonPayment
        endedAtPeriodEnd += other.endedAtPeriodEnd
        unknown += other.unknown
        parkedForReview += other.parkedForReview
        refundReviews += other.refundReviews
        deferred += other.deferred
        reconciled += other.reconciled
        conflicts += other.conflicts
        settlingAtProvider += other.settlingAtProvider
        actionRequired += other.actionRequired
        badRows += other.badRows
    }

    /// Whether the pass changed nothing and found nothing wrong.
    public var isIdle: Bool {
        charged == 0 && declined == 0 && endedAtPeriodEnd == 0 && unknown == 0 && deferred == 0 && reconciled == 0
            && conflicts == 0 && badRows.isEmpty && canceledForNonPayment == 0 && parkedForReview == 0 && settlingAtProvider == 0
            && actionRequired == 0
    }

    public var description: String {
        "charged \(charged), declined \(declined), retries scheduled \(retriesScheduled), canceled for non-payment \(canceledForNonPayment), ended at period end \(endedAtPeriodEnd), unknown \(unknown), settling at the provider \(settlingAtProvider), action required \(actionRequired), parked for review \(parkedForReview), refund reviews \(refundReviews), deferred \(deferred), reconciled \(reconciled), conflicts \(conflicts), bad rows \(badRows.count)"
    }
}
