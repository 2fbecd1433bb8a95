import Billing
import LeaderElection

/// Test data.
enum Fixtures {
    static let election = "billing-renewals"

    static func fence(_ token: Int64) -> Fence { Fence(election: election, token: FencingToken(token)) }

    static func time(_ text: String) -> Timestamp {
        do { return try Timestamp(iso8601: text) } catch { fatalError("bad test timestamp \(text): \(error)") }
    }

    /// A valid monthly (or annual) subscription in its first period from `anchor`.
    static func subscription(
        _ id: String, anchor: String = "2025-01-31T00:00:00Z", interval: BillingInterval = .monthly,
        priceMinor: Int64 = 1999, currency: Currency = .usd, cancelAtPeriodEnd: Bool = false
    ) -> Subscription {
        do {
            return Subscription(
                id: id, customer: "cus_\(id)", plan: try Plan(interval: interval, price: Money(minorUnits: priceMinor, currency: currency)),
                paymentMethod: "pm_card_visa", anchor: try Timestamp(iso8601: anchor), cancelAtPeriodEnd: cancelAtPeriodEnd
            )
        } catch {
            fatalError("bad test subscription: \(error)")
        }
    }

    /// The intent of attempt 1 for the subscription's next period.
    static func intent(for subscription: Subscription, attempt: Int = 1) -> ChargeIntent {
        let start = subscription.currentPeriodEnd
        let end = BillingCalendar.boundary(
            anchor: subscription.billingCycleAnchor, interval: subscription.plan.interval,
            index: BillingCalendar.index(ofBoundary: start, anchor: subscription.billingCycleAnchor, interval: subscription.plan.interval)!
                + 1
        )
        return ChargeIntent(
            subscriptionID: subscription.id, periodStart: start, periodEnd: end,
            idempotencyKey: Subscription.idempotencyKey(subscriptionID: subscription.id, periodStart: start, attempt: attempt),
            amount: subscription.plan.price, customer: subscription.customer, paymentMethod: subscription.paymentMethod, attempt: attempt
        )
    }
}
