/// A subscription row exactly as the database holds it, before validation.
///
/// The subscriptions table is written by other services and by imports, so the engine reads rows
/// in this raw form and validates each one (``validated()``); a row that fails (negative price,
/// unknown currency, unknown interval, ...) is reported and skipped, not billed.
public struct StoredSubscription: Hashable, Sendable, Identifiable {
    /// The subscription's identifier.
    public var id: String
    /// The provider's customer reference.
    public var customer: String
    /// The provider's payment-method reference.
    public var paymentMethod: String
    /// The interval's name (`monthly`, `annual`).
    public var interval: String
    /// The price in minor units.
    public var priceMinor: Int64
    /// The ISO 4217 currency code.
    public var currency: String
    /// The status's name (`active`, `past_due`, `paused`, `canceled`, `inactive`).
    public var status: String
    /// The billing-cycle anchor.
    public var billingCycleAnchor: Timestamp
    /// Start of the current period.
    public var currentPeriodStart: Timestamp
    /// End of the current period.
    public var currentPeriodEnd: Timestamp
    /// Whether the subscription ends at the current period's end.
    public var cancelAtPeriodEnd: Bool
    /// Failed charge attempts for the unpaid period (0 when none).
    public var failedAttempts: Int
    /// When the next dunning attempt is due, if one is scheduled.
    public var nextAttemptAt: Timestamp?
    /// The row version: every write bumps it, every conditional write checks it (0 for a new row).
    public var version: Int64
    /// The plan scheduled from the next period on (its interval's name, price and currency), or
    /// nil: the renewal that charges the next period charges it and makes it the plan.
    public var pendingPlan: (interval: String, priceMinor: Int64, currency: String)? {
        get { pendingInterval.flatMap { interval in pendingPriceMinor.flatMap { price in pendingCurrency.map { (interval, price, $0) } } } }
        set {
            pendingInterval = newValue?.interval
            pendingPriceMinor = newValue?.priceMinor
            pendingCurrency = newValue?.currency
        }
    }
    /// The scheduled plan's interval name, as stored.
    public var pendingInterval: String?
    /// The scheduled plan's price in minor units, as stored.
    public var pendingPriceMinor: Int64?
    /// The scheduled plan's currency code, as stored.
    public var pendingCurrency: String?

    /// Creates a row.
    public init(
        id: String, customer: String, paymentMethod: String, interval: String, priceMinor: Int64, currency: String,
        status: String, billingCycleAnchor: Timestamp, currentPeriodStart: Timestamp, currentPeriodEnd: Timestamp,
        cancelAtPeriodEnd: Bool, failedAttempts: Int, nextAttemptAt: Timestamp?, version: Int64 = 0,
        pendingInterval: String? = nil, pendingPriceMinor: Int64? = nil, pendingCurrency: String? = nil
    ) {
        self.id = id
        self.customer = customer
        self.paymentMethod = paymentMethod
        self.interval = interval
        self.priceMinor = priceMinor
        self.currency = currency
        self.status = status
        self.billingCycleAnchor = billingCycleAnchor
        self.currentPeriodStart = currentPeriodStart
        self.currentPeriodEnd = currentPeriodEnd
        self.cancelAtPeriodEnd = cancelAtPeriodEnd
        self.failedAttempts = failedAttempts
        self.nextAttemptAt = nextAttemptAt
        self.version = version
        self.pendingInterval = pendingInterval
        self.pendingPriceMinor = pendingPriceMinor
        self.pendingCurrency = pendingCurrency
    }

    /// When the engine looks at this row next, judged from the raw status so that rows with other
    /// faults still come up (and are reported): the next attempt while `past_due`, never while
    /// `canceled`, `paused`, `inactive` or `action_required` (its open charge is the engine's
    /// to look up), otherwise the period end.
    public var nextDueAt: Timestamp? {
        switch status {
        case SubscriptionStatus.pastDue.rawValue: nextAttemptAt
        case SubscriptionStatus.canceled.rawValue, SubscriptionStatus.paused.rawValue, SubscriptionStatus.inactive.rawValue,
            SubscriptionStatus.actionRequired.rawValue:
            nil
        default: currentPeriodEnd
        }
    }

    /// The subscription, if every value in the row can be billed.
    /// - Throws: ``BillingError/Code/invalidSubscription`` (or ``BillingError/Code/unsupportedCurrency``)
    ///   saying what is wrong with the row.
    public func validated() throws(BillingError) -> Subscription {
        func invalid(_ why: String) -> BillingError {
            BillingError(code: .invalidSubscription, message: "subscription \(id): \(why)")
        }
        let interval: BillingInterval
        let currency: Currency
        let status: SubscriptionStatus
        do {
            interval = try BillingInterval(name: self.interval)
            currency = try Currency(code: self.currency)
            status = try SubscriptionStatus(name: self.status)
        } catch {
            throw BillingError(code: error.code, message: "subscription \(id): \(error.message)")
        }
        guard priceMinor > 0 else { throw invalid("price \(priceMinor) minor units is not positive") }
        guard !customer.isEmpty else { throw invalid("no customer reference") }
        guard !paymentMethod.isEmpty else { throw invalid("no payment-method reference") }
        for instant in [billingCycleAnchor, currentPeriodStart, currentPeriodEnd] where !instant.isInSupportedRange {
            throw invalid("instant \(instant.millisecondsSinceEpoch) ms lies outside the years 1...9999")
        }
        let end: Timestamp
        do {
            end = try BillingCalendar.periodEnd(startingAt: currentPeriodStart, anchor: billingCycleAnchor, interval: interval)
        } catch {
            throw invalid(error.message)
        }
        guard end == currentPeriodEnd else {
            throw invalid("current period end \(currentPeriodEnd) is not the \(interval) period end \(end) after \(currentPeriodStart)")
        }
        guard failedAttempts >= 0 else { throw invalid("negative failed-attempt count \(failedAttempts)") }
        let plan = try Plan(interval: interval, price: Money(minorUnits: priceMinor, currency: currency))
        let retry: RetryState? =
            status == .pastDue || (status == .actionRequired && failedAttempts > 0)
            ? RetryState(failedAttempts: failedAttempts, nextAttemptAt: nextAttemptAt) : nil
        var pending: Plan?
        if pendingInterval != nil || pendingPriceMinor != nil || pendingCurrency != nil {
            guard let (name, price, code) = pendingPlan else { throw invalid("a scheduled plan change with missing parts") }
            do {
                pending = try Plan(
                    interval: try BillingInterval(name: name), price: Money(minorUnits: price, currency: try Currency(code: code)))
            } catch {
                throw invalid("the scheduled plan: \(error.message)")
            }
        }
        var subscription = Subscription(
            id: id, customer: customer, plan: plan, status: status, billingCycleAnchor: billingCycleAnchor,
            currentPeriodStart: currentPeriodStart, currentPeriodEnd: currentPeriodEnd,
            cancelAtPeriodEnd: cancelAtPeriodEnd, paymentMethod: paymentMethod, retry: retry, version: version
        )
        subscription.pendingPlan = pending
        return subscription
    }
}
