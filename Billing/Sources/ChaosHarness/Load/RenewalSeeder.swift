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

    /// `count` subscriptions due one after another between `from` and `until`, in due order, and
    /// each renewal with its due time.
    static func plan(
        count: Int, from: Timestamp, until: Timestamp, random: inout some RandomNumberGenerator
    ) throws -> (subscriptions: [Subscription], due: [RenewalID: Int64]) {
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
            subscriptions.append(
                Subscription(
                    id: id, customer: "cus_chaos_\(index + 1)", plan: plan, status: .active, billingCycleAnchor: dueAt,
                    currentPeriodStart: BillingCalendar.boundary(anchor: dueAt, interval: interval, index: -1), currentPeriodEnd: dueAt,
                    cancelAtPeriodEnd: false, paymentMethod: method, retry: nil
                ))
            due[RenewalID(subscriptionID: id, periodStart: dueAt.iso8601)] = dueAt.millisecondsSinceEpoch
        }
        return (subscriptions, due)
    }

    /// Saves `subscriptions` with eight writers at a time, roughly in the order given: one
    /// transaction each, 30,000 rows take minutes on a busy machine, so a run saves the first
    /// ones before its nodes start and the rest while they charge (saving outruns the load).
    /// Saving rides out the faults meanwhile (a cold start kills PostgreSQL): a row that cannot be
    /// saved is tried again, every half second for up to `patience`.
    static func save(
        _ subscriptions: some Collection<Subscription>, to store: any BillingStore, patience: Duration = .seconds(120)
    ) async throws {
        let subscriptions = Array(subscriptions)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                let share = stride(from: lane, to: subscriptions.count, by: 8).map { subscriptions[$0] }
                group.addTask {
                    for subscription in share { try await save(subscription, to: store, patience: patience) }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Saves one subscription, again every half second while the store is unavailable, for up to `patience`.
    private static func save(_ subscription: Subscription, to store: any BillingStore, patience: Duration) async throws {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                return try await store.saveSubscription(subscription.stored)
            } catch let error as BillingError where error.code == .storeUnavailable && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}
