import Billing
import BillingNode

/// Seeds the demo's subscriptions: each falls due at a random instant during the demo.
enum DemoSeeder {
    /// Test payment methods and how often (in 100ths) each is used: most succeed, some decline,
    /// a few need their customer to authenticate, a few are bank debits that settle later.
    static let paymentMethods: [(String, Int)] = [
        ("pm_card_visa", 86),
        ("pm_card_authenticationRequired", 1),
        ("pm_usBankAccount_processing", 1),
        ("pm_card_chargeDeclinedInsufficientFunds", 5),
        ("pm_card_chargeDeclined", 4),
        ("pm_card_chargeDeclinedExpiredCard", 3),
    ]

    /// Saves `count` subscriptions whose current period ends between `from` and `until`, and
    /// returns the renewals that fall due (subscription id, period start).
    static func seed(
        count: Int, from: Timestamp, until: Timestamp, store: any BillingStore, random: inout some RandomNumberGenerator
    ) async throws -> Set<RenewalID> {
        var due = Set<RenewalID>()
        let span = max(1, until.millisecondsSinceEpoch - from.millisecondsSinceEpoch)
        let usd = try Currency(code: "USD")
        let eur = try Currency(code: "EUR")
        for index in 0..<count {
            let interval: BillingInterval = Int.random(in: 0..<10, using: &random) < 7 ? .monthly : .annual
            let currency = Int.random(in: 0..<5, using: &random) == 0 ? eur : usd
            let price =
                interval == .monthly
                ? [499, 999, 1499, 2999].randomElement(using: &random)! : [4900, 9900, 14900].randomElement(using: &random)!
            var pick = Int.random(in: 0..<100, using: &random)
            var method = paymentMethods[0].0
            for (name, weight) in paymentMethods {
                if pick < weight { method = name; break }
                pick -= weight
            }
            // The renewal is due at `dueAt`: make that the end of the current period, a boundary of
            // the anchor, so that the row is a valid, paid-up subscription until then.
            let dueAt = Timestamp(millisecondsSinceEpoch: from.millisecondsSinceEpoch + Int64.random(in: 0..<span, using: &random))
            let start = BillingCalendar.boundary(anchor: dueAt, interval: interval, index: -1)
            let id = "sub_demo_\(String(index + 1).leftPadded(to: 5))"
            let plan = try Plan(interval: interval, price: Money(minorUnits: Int64(price), currency: currency))
            let subscription = Subscription(
                id: id, customer: "cus_demo_\(index + 1)", plan: plan, status: .active, billingCycleAnchor: dueAt,
                currentPeriodStart: start, currentPeriodEnd: dueAt, cancelAtPeriodEnd: false, paymentMethod: method, retry: nil
            )
            try await store.saveSubscription(subscription.stored)
            due.insert(RenewalID(subscriptionID: id, periodStart: dueAt.iso8601))
        }
        return due
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
