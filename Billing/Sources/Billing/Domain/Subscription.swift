/// A customer's subscription to a plan, validated: every value in it can be billed.
///
/// The current period is `[currentPeriodStart, currentPeriodEnd)`; renewing charges for the next
/// period, which starts at `currentPeriodEnd`. Periods are boundaries of ``billingCycleAnchor``
/// (see ``BillingCalendar``). Rows as stored, possibly invalid, are ``StoredSubscription``s.
public struct Subscription: Hashable, Sendable, Identifiable {
    /// The subscription's identifier.
    public var id: String
    /// The payment provider's customer reference.
    public var customer: String
    /// Price and interval.
    public var plan: Plan
    /// Where the subscription stands.
    public var status: SubscriptionStatus
    /// The instant the billing cycle is counted from; every period boundary derives from it.
    public var billingCycleAnchor: Timestamp
    /// Start of the current (paid) period.
    public var currentPeriodStart: Timestamp
    /// End of the current period: when the next renewal is due.
    public var currentPeriodEnd: Timestamp
    /// Whether the subscription ends at ``currentPeriodEnd`` instead of renewing.
    public var cancelAtPeriodEnd: Bool
    /// The provider's saved payment-method reference.
    public var paymentMethod: String
    /// Dunning progress; nil unless ``status`` is ``SubscriptionStatus/pastDue``.
    public var retry: RetryState?
    /// The stored row's version, which step (c) expects unchanged (see ``StoredSubscription/version``).
    public var version: Int64 = 0
    /// The plan from the next period on, when a change is scheduled: the renewal of the next
    /// period charges it and makes it the plan (no proration).
    public var pendingPlan: Plan?

    /// Whether `charge` is the first charge of the scheduled plan: for the next period, at the
    /// scheduled price and over the scheduled interval. A charge made before the change was
    /// scheduled is not, and leaves the schedule for the period after.
    public func chargeStartsPendingPlan(_ charge: Charge) -> Bool {
        guard let pendingPlan, charge.periodStart == currentPeriodEnd, charge.amount == pendingPlan.price else { return false }
        let end = try? BillingCalendar.periodEnd(startingAt: charge.periodStart, anchor: nextPeriodAnchor, interval: pendingPlan.interval)
        return end == charge.periodEnd
    }

    /// The plan the next period is charged at: the scheduled one, if any.
    public var nextPeriodPlan: Plan { pendingPlan ?? plan }

    /// The anchor the next period's boundaries count from: the next period's start when the
    /// scheduled plan changes the interval (a new cycle begins there), else the current anchor.
    public var nextPeriodAnchor: Timestamp {
        guard let pendingPlan, pendingPlan.interval != plan.interval else { return billingCycleAnchor }
        return currentPeriodEnd
    }

    /// Creates a subscription whose first period starts at `anchor`.
    public init(
        id: String,
        customer: String,
        plan: Plan,
        paymentMethod: String,
        anchor: Timestamp,
        status: SubscriptionStatus = .active,
        cancelAtPeriodEnd: Bool = false
    ) {
        self.id = id
        self.customer = customer
        self.plan = plan
        self.status = status
        self.billingCycleAnchor = anchor
        self.currentPeriodStart = anchor
        self.currentPeriodEnd = BillingCalendar.boundary(anchor: anchor, interval: plan.interval, index: 1)
        self.cancelAtPeriodEnd = cancelAtPeriodEnd
        self.paymentMethod = paymentMethod
        self.retry = nil
    }

    /// Creates a subscription from all its parts, unchecked (``StoredSubscription/validated()`` checks).
    public init(
        id: String, customer: String, plan: Plan, status: SubscriptionStatus, billingCycleAnchor: Timestamp,
        currentPeriodStart: Timestamp, currentPeriodEnd: Timestamp, cancelAtPeriodEnd: Bool,
        paymentMethod: String, retry: RetryState?, version: Int64 = 0
    ) {
        self.id = id
        self.customer = customer
        self.plan = plan
        self.status = status
        self.billingCycleAnchor = billingCycleAnchor
        self.currentPeriodStart = currentPeriodStart
        self.currentPeriodEnd = currentPeriodEnd
        self.cancelAtPeriodEnd = cancelAtPeriodEnd
        self.paymentMethod = paymentMethod
        self.retry = retry
        self.version = version
    }

    /// When the engine should next act on this subscription: the period end while active, the
    /// next dunning attempt while past due, never once canceled or inactive.
    public var nextDueAt: Timestamp? {
        switch status {
        case .active: currentPeriodEnd
        case .pastDue: retry?.nextAttemptAt
        case .canceled, .paused, .inactive, .actionRequired: nil
        }
    }

    /// Whether the engine acts on it at `now`. A renewal due exactly at `now` is due; one due a
    /// millisecond later is not.
    public func isDue(at now: Timestamp) -> Bool {
        nextDueAt.map { $0 <= now } ?? false
    }

    /// The idempotency key of charge attempt `attempt` (1-based) for the period starting at `periodStart`.
    ///
    /// The first attempt's key is `renewal:<subscription-id>:<period-start>`; dunning retry `k`
    /// appends `:retry-<k>`. A dunning retry is a new business intent: providers replay the first
    /// response to a key, declines included, so reusing the first key could never succeed.
    public static func idempotencyKey(subscriptionID: String, periodStart: Timestamp, attempt: Int) -> String {
        let base = "renewal:\(subscriptionID):\(periodStart.iso8601)"
        return attempt <= 1 ? base : "\(base):retry-\(attempt - 1)"
    }

    /// The row this subscription is stored as.
    public var stored: StoredSubscription {
        StoredSubscription(
            id: id, customer: customer, paymentMethod: paymentMethod, interval: plan.interval.rawValue,
            priceMinor: plan.price.minorUnits, currency: plan.currency.code, status: status.rawValue,
            billingCycleAnchor: billingCycleAnchor, currentPeriodStart: currentPeriodStart,
            currentPeriodEnd: currentPeriodEnd, cancelAtPeriodEnd: cancelAtPeriodEnd,
            failedAttempts: retry?.failedAttempts ?? 0, nextAttemptAt: retry?.nextAttemptAt, version: version,
            pendingInterval: pendingPlan?.interval.rawValue, pendingPriceMinor: pendingPlan?.price.minorUnits,
            pendingCurrency: pendingPlan?.currency.code
        )
    }
}
