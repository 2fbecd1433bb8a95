import Billing
import BillingNode
import PaymentSandbox

/// Seeds the steady load: subscriptions whose renewals fall due one after another, evenly
/// spread over the fault phase, so that a leader always has something to charge and a fault's
/// unavailability shows as a gap in the charges.
///
/// Two kinds, so that a run reaches more than each subscription's first renewal:
/// - *on time*: saved ahead, due once, when its period ends during the run;
/// - *catching up* (a fifth): saved at its planned moment with 2 to 4 monthly periods already
///   ended, as after downtime or an import, so that the engine renews it period after period,
///   each with its own charge and its own compare-and-set on the subscription.
///
/// Cards are Stripe's test cards: most succeed, some decline softly (retried through the whole
/// dunning schedule, then canceled) and some hard (canceled at once).
enum RenewalSeeder {
    /// One planned subscription and what the checker expects of it (``SubscriptionModel``).
    struct Seeded: Sendable {
        var subscription: Subscription
        var scenario: TestScenario
        /// For a catching-up subscription, when the harness saves it (real ms); nil when saved ahead.
        var saveAtMs: Int64?
        /// The periods that fall due, by start: every overdue one when the card succeeds, only
        /// the first when it declines (the subscription ends there).
        var duePeriodStarts: [Timestamp]
        /// When its first renewal falls due (real ms): the period end, or the moment it is saved.
        var dueAtMs: Int64
    }

    /// Test cards and how often (in 100ths) each is used.
    static let cards: [(TestScenario, Int)] = [(.succeeds, 88), (.insufficientFunds, 7), (.expiredCard, 5)]

    /// `count` subscriptions due one after another between `from` and `until`, in due order.
    static func plan(count: Int, from: Timestamp, until: Timestamp, random: inout some RandomNumberGenerator) throws -> [Seeded] {
        let span = max(1, until.millisecondsSinceEpoch - from.millisecondsSinceEpoch)
        let usd = try Currency(code: "USD")
        var seeded: [Seeded] = []
        for index in 0..<count {
            let catchingUp = Int.random(in: 0..<5, using: &random) == 0
            let interval: BillingInterval = catchingUp || Int.random(in: 0..<10, using: &random) < 8 ? .monthly : .annual
            var pick = Int.random(in: 0..<100, using: &random)
            var scenario = TestScenario.succeeds
            for (card, weight) in cards {
                if pick < weight { scenario = card; break }
                pick -= weight
            }
            let dueAt = Timestamp(millisecondsSinceEpoch: from.millisecondsSinceEpoch + span * Int64(index) / Int64(max(1, count)))
            let plan = try Plan(interval: interval, price: Money(minorUnits: interval == .monthly ? 999 : 9900, currency: usd))
            let id = "sub_chaos_\(index + 1)"
            // A catching-up subscription's first unpaid period began 2 to 4 months before it is saved.
            let behind = catchingUp ? Int64.random(in: 2...4, using: &random) : 0
            let anchor = BillingCalendar.boundary(anchor: dueAt, interval: interval, index: -behind)
            let subscription = Subscription(
                id: id, customer: "cus_chaos_\(index + 1)", plan: plan, status: .active, billingCycleAnchor: anchor,
                currentPeriodStart: BillingCalendar.boundary(anchor: anchor, interval: interval, index: -1), currentPeriodEnd: anchor,
                cancelAtPeriodEnd: false, paymentMethod: scenario.stripePaymentMethod, retry: nil)
            let overdue = try BillingCalendar.duePeriodStarts(after: anchor, until: dueAt, anchor: anchor, interval: interval)
            seeded.append(
                Seeded(
                    subscription: subscription, scenario: scenario, saveAtMs: catchingUp ? dueAt.millisecondsSinceEpoch : nil,
                    duePeriodStarts: scenario == .succeeds ? overdue : [anchor], dueAtMs: dueAt.millisecondsSinceEpoch))
        }
        return seeded
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

    /// Saves each catching-up subscription at its planned moment (or at once, when that has
    /// passed), and returns when each was saved (real ms): when its renewals fell due.
    static func saveOnTime(_ planned: [Seeded], to store: any BillingStore) async throws -> [String: Int64] {
        var savedAt: [String: Int64] = [:]
        for item in planned.sorted(by: { ($0.saveAtMs ?? 0) < ($1.saveAtMs ?? 0) }) {
            let wait = (item.saveAtMs ?? 0) - NodeEventLog.realNowMs()
            if wait > 0 { try await Task.sleep(for: .milliseconds(wait)) }
            try await save(item.subscription, to: store, patience: .seconds(120))
            savedAt[item.subscription.id] = NodeEventLog.realNowMs()
        }
        return savedAt
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
