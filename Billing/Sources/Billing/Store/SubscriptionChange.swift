/// A change to a subscription made through the subscriptions API (or an operator): a pure
/// function from the row as read to the row to write, which the store then writes only while the
/// row still has the version it read (see ``BillingStore/changeSubscription(id:ifVersion:_:)``).
public enum SubscriptionChange: Hashable, Sendable {
    /// Cancel now (no further charge), or at the end of the paid period.
    case cancel(atPeriodEnd: Bool)
    /// Stop charging; dunning stops where it stands.
    case pause
    /// Charge again: an active subscription continues in the period that contains now, a past-due
    /// one is retried now at the dunning step where it stopped.
    case resume
    /// Charge this payment method from now on.
    case paymentMethod(String)
    /// Charge this plan from the next period on (the current plan clears a scheduled change).
    case plan(Plan)

    /// The row after the change at `now`; the version is left to the store.
    /// - Throws: ``BillingError/Code/transitionNotAllowed`` when the row's state does not allow
    ///   the change, saying why.
    public func applied(to row: StoredSubscription, at now: Timestamp) throws(BillingError) -> StoredSubscription {
        var changed = row
        let status = SubscriptionStatus(rawValue: row.status)
        func refuse(_ why: String) -> BillingError {
            BillingError(code: .transitionNotAllowed, message: "subscription '\(row.id)' is \(row.status): \(why)")
        }
        switch self {
        case .cancel(atPeriodEnd: true):
            guard status == .active || status == .pastDue else {
                throw refuse("only an active or past-due subscription can end at its period end; cancel it now instead")
            }
            changed.cancelAtPeriodEnd = true
        case .cancel(atPeriodEnd: false):
            guard status == .active || status == .pastDue || status == .paused || status == .actionRequired else {
                throw refuse("only an active, past-due, action-required or paused subscription can be canceled")
            }
            changed.status = SubscriptionStatus.canceled.rawValue
            changed.nextAttemptAt = nil
        case .pause:
            guard status == .active || status == .pastDue else { throw refuse("only an active or past-due subscription can be paused") }
            // The failed-attempt count stays: resuming continues dunning where it stopped.
            changed.status = SubscriptionStatus.paused.rawValue
            changed.nextAttemptAt = nil
        case .resume:
            guard status == .paused else { throw refuse("only a paused subscription can be resumed") }
            if row.failedAttempts > 0 {
                changed.status = SubscriptionStatus.pastDue.rawValue
                changed.nextAttemptAt = now
            } else {
                changed.status = SubscriptionStatus.active.rawValue
                // Periods that ended while paused are skipped: it continues in the one containing now.
                let subscription = try row.validated()
                var (start, end) = (subscription.currentPeriodStart, subscription.currentPeriodEnd)
                while end <= now {
                    start = end
                    end = try BillingCalendar.periodEnd(
                        startingAt: start, anchor: subscription.billingCycleAnchor, interval: subscription.plan.interval)
                }
                changed.currentPeriodStart = start
                changed.currentPeriodEnd = end
            }
        case .paymentMethod(let method):
            guard status != .canceled else { throw refuse("a canceled subscription is never charged again") }
            guard !method.isEmpty else {
                throw BillingError(code: .invalidSubscription, message: "the payment method reference must not be empty")
            }
            changed.paymentMethod = method
        case .plan(let plan):
            guard status != .canceled else { throw refuse("a canceled subscription is never charged again") }
            let current = try row.validated().plan
            changed.pendingPlan = plan == current ? nil : (plan.interval.rawValue, plan.price.minorUnits, plan.currency.code)
        }
        return changed
    }
}
