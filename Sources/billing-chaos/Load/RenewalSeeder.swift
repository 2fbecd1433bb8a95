import Billing
import BillingNode

/// Seeds the steady load: subscriptions whose renewals fall due one after another, evenly
/// spread over the fault phase, so that a leader always has something to charge and a fault's
/// unavailability shows as a gap in the charges.
enum RenewalSeeder {
    /// Test cards and how often (in 100ths) each is used: most succeed, some decline.
    static let paymentMethods: [(String, Int)] = [
        ("pm_card_visa", 92),
        ("pm_card_chargeDeclinedInsufficientFunds", 4),
        ("pm_card_chargeDeclinedExpiredCard", 4),
    ]

    /// Saves `count` subscriptions due between `from` and `until` and returns each renewal with its due time.
    static func seed(count: Int, from: Timestamp, until: Timestamp, store: any BillingStore, random: inout some RandomNumberGenerator) async throws -> [RenewalID: Int64] {
        let span = max(1, until.millisecondsSinceEpoch - from.millisecondsSinceEpoch)
        let usd = try Currency(code: "USD")
        var subscriptions: [Subscription] = []
        var due: [RenewalID: Int64] = [:]
        for index in 0..<count {
            let interval: BillingInterval = Int.random(in: 0..<10, using: &random) < 8 ? .monthly : .annual
            var pick = Int.random(in: 0..<100, using: &random)
            var method = paymentMethods[0].0
            for (name, weight) in paymentMethods {
                if pick < weight { method = name; break }
                pick -= weight
            }
            let dueAt = Timestamp(millisecondsSinceEpoch: from.millisecondsSinceEpoch + span * Int64(index) / Int64(max(1, count)))
            let plan = try Plan(interval: interval, price: Money(minorUnits: interval == .monthly ? 999 : 9900, currency: usd))
            let id = "sub_chaos_\(index + 1)"
            subscriptions.append(Subscription(
                id: id, customer: "cus_chaos_\(index + 1)", plan: plan, status: .active, billingCycleAnchor: dueAt,
                currentPeriodStart: BillingCalendar.boundary(anchor: dueAt, interval: interval, index: -1), currentPeriodEnd: dueAt,
                cancelAtPeriodEnd: false, paymentMethod: method, retry: nil
            ))
            due[RenewalID(subscriptionID: id, periodStart: dueAt.iso8601)] = dueAt.millisecondsSinceEpoch
        }
        // Eight writers at a time: seeding 30,000 rows one transaction each would take minutes.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                let share = stride(from: lane, to: subscriptions.count, by: 8).map { subscriptions[$0] }
                group.addTask { for subscription in share { try await store.saveSubscription(subscription.stored) } }
            }
            try await group.waitForAll()
        }
        return due
    }
}
