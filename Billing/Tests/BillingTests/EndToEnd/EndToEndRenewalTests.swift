import Billing
import Foundation
import LeaderElection
import PaymentSandbox
import Payments
import Synchronization
import Testing

/// The renewal engine, the Stripe client and the payment sandbox over real HTTP, on real SQLite
/// and PostgreSQL databases: the sandbox's ledger is the ground truth for "charged exactly once".
@Suite("Renewals end to end over HTTP", .timeLimit(.minutes(5)))
struct EndToEndRenewalTests {
    static let now = "2025-03-01T00:00:00Z"

    /// Engine settings for these runs: short back-offs (the sandbox's Retry-After is 50 ms) and
    /// enough in-pass retries that a burst of injected 500s rarely exhausts them.
    static var configuration: RenewalEngine.Configuration {
        var configuration = RenewalEngine.Configuration()
        configuration.batchSize = 16
        configuration.maxConcurrentRenewals = 8
        configuration.providerRequestsPerSecond = nil
        configuration.maxRateLimitRetries = 20
        configuration.maxTransientRetries = 20
        configuration.initialBackoff = .milliseconds(10)
        configuration.maximumBackoff = .milliseconds(100)
        // An open charge is asked again after 1 to 10 ms of the billing clock, which each pass
        // of `runUntilSettled` moves on by 10 ms.
        configuration.openChargeBackoff = .milliseconds(1)
        configuration.maximumOpenChargeBackoff = .milliseconds(10)
        return configuration
    }

    static func engine(_ store: any BillingStore, _ provider: any PaymentProvider, billingClock: any BillingClock) throws -> RenewalEngine {
        try RenewalEngine(store: store, provider: provider, billingClock: billingClock, configuration: configuration, logger: testLogger)
    }

    /// Runs passes until one does nothing (bad rows are reported by every pass) and nothing is
    /// left unresolved, moving `billingClock` on by 10 ms after each (past an open charge's
    /// back-off); fails after `limit`.
    static func runUntilSettled(
        _ engine: RenewalEngine, _ store: any BillingStore, fence: Fence, billingClock: ManualBillingClock, limit: Duration = .seconds(90)
    ) async throws -> [RenewalReport] {
        var reports: [RenewalReport] = []
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            let report = try await engine.runPass(fence: fence)
            billingClock.advance(by: .milliseconds(10))
            reports.append(report)
            let unresolved = try await store.unresolvedCharges(after: nil, limit: 1)
            var work = report
            work.badRows = []
            if work.isIdle, unresolved.isEmpty { return reports }
        }
        Issue.record("renewals did not settle within \(limit): last pass \(reports.last.map { "\($0)" } ?? "none")")
        return reports
    }

    /// Subscriptions due at `now`: monthly and annual ones with one period due, four catching up
    /// after downtime (four monthly periods each), soft and hard declines, and bad rows.
    static func seed(
        _ store: any BillingStore
    ) async throws -> (good: [String], softDeclines: [String], hardDeclines: [String], catchUp: [String]) {
        var good: [String] = []
        var soft: [String] = []
        var hard: [String] = []
        var catchUp: [String] = []
        for number in 0..<120 {
            let id = "s\(number)"
            var subscription: Subscription
            switch number {
            case 0..<4:
                subscription = Fixtures.subscription(id, anchor: "2024-10-31T00:00:00Z")  // Nov 30, Dec 31, Jan 31, Feb 28 due
                catchUp.append(id)
            case _ where number % 10 == 0:
                subscription = Fixtures.subscription(id, anchor: "2024-02-29T00:00:00Z", interval: .annual, priceMinor: 19_900)
            default:
                subscription = Fixtures.subscription(id, anchor: "2025-01-31T00:00:00Z")
            }
            if number >= 4, number % 13 == 0 {
                subscription.paymentMethod = "pm_card_chargeDeclinedInsufficientFunds"
                soft.append(id)
            } else if number >= 4, number % 17 == 0 {
                subscription.paymentMethod = "pm_card_chargeDeclinedExpiredCard"
                hard.append(id)
            } else if !catchUp.contains(id) {
                good.append(id)
            }
            try await store.saveSubscription(subscription.stored)
        }
        var negative = Fixtures.subscription("bad-price").stored
        negative.priceMinor = -500
        var currency = Fixtures.subscription("bad-currency").stored
        currency.currency = "XYZ"
        var interval = Fixtures.subscription("bad-interval").stored
        interval.interval = "weekly"
        for row in [negative, currency, interval] { try await store.saveSubscription(row) }
        return (good, soft, hard, catchUp)
    }

    @Test("every fault kind of the sandbox occurs, and each due renewal is still charged exactly once", arguments: StoreKind.available)
    func everyFaultKindOverHTTP(_ kind: StoreKind) async throws {
        let faults = FaultRates(
            serverErrorRate: 0.06, lostRate: 0.06, hangRate: 0.04, rateLimitRate: 0.06, garbageRate: 0.04,
            retryAfter: .milliseconds(50), hangDuration: .milliseconds(2500), seed: 7
        )
        try await withTestStore(kind) { store in
            try await SandboxHarness.with(faults: faults) { sandbox in
                let seeded = try await Self.seed(store)
                let billingClock = ManualBillingClock(Fixtures.time(Self.now))
                let engine = try Self.engine(store, try sandbox.stripeClient(timeout: .seconds(1)), billingClock: billingClock)
                let fence = Fixtures.fence(1)
                // Under faults first, then quiet until every unknown outcome is resolved.
                var reports = try await Self.runUntilSettled(engine, store, fence: fence, billingClock: billingClock)
                let statistics = sandbox.server.statistics()
                try sandbox.server.setFaultRates(.none)
                reports += try await Self.runUntilSettled(engine, store, fence: fence, billingClock: billingClock)

                #expect(statistics.serverErrorFaults > 0 && statistics.lostFaults > 0 && statistics.hangFaults > 0, "\(statistics)")
                #expect(statistics.rateLimitFaults > 0 && statistics.garbageFaults > 0, "\(statistics)")
                let audit = try await sandbox.audit(store)
                #expect(audit.isClean, "\(audit)")
                for id in seeded.good {
                    let periods = audit.succeededPerPeriod.filter { $0.key.hasPrefix("\(id)@") }
                    #expect(periods.values.reduce(0, +) == 1, "\(id): \(periods)")
                    #expect(try await store.subscription(id: id)?.validated().status == .active)
                }
                for id in seeded.catchUp {
                    let periods = audit.succeededPerPeriod.filter { $0.key.hasPrefix("\(id)@") }.keys.sorted()
                    #expect(
                        periods
                            == ["2024-11-30T00:00:00Z", "2024-12-31T00:00:00Z", "2025-01-31T00:00:00Z", "2025-02-28T00:00:00Z"].map {
                                "\(id)@\($0)"
                            })
                }
                for id in seeded.softDeclines + seeded.hardDeclines {
                    #expect(!audit.succeededPerPeriod.keys.contains { $0.hasPrefix("\(id)@") }, "\(id) declines")
                }
                for id in seeded.softDeclines {
                    let subscription = try await store.subscription(id: id)?.validated()
                    #expect(subscription?.status == .pastDue && subscription?.retry != nil, "\(id): \(String(describing: subscription))")
                }
                for id in seeded.hardDeclines {
                    #expect(try await store.subscription(id: id)?.validated().status == .canceled, "\(id) after a hard decline")
                }
                let badRows = Set(reports.flatMap(\.badRows).map(\.subscriptionID))
                #expect(badRows == ["bad-price", "bad-currency", "bad-interval"])
                let charged = reports.map(\.charged).reduce(0, +)
                #expect(charged == seeded.good.count + 4 * seeded.catchUp.count)
            }
        }
    }

    @Test(
        "a crash between the provider's answer and its record is reconciled by the next leader without a second charge",
        arguments: StoreKind.available)
    func crashAfterTheProviderCall(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            try await SandboxHarness.with { sandbox in
                try await store.saveSubscription(Fixtures.subscription("crash").stored)
                let billingClock = ManualBillingClock(Fixtures.time(Self.now))
                let crashing = CrashAfterCallProvider(try sandbox.stripeClient())
                await #expect(throws: CrashAfterCallProvider.Crash.self) {
                    try await Self.engine(store, crashing, billingClock: billingClock).runPass(fence: Fixtures.fence(1))
                }
                #expect(sandbox.server.ledger().count == 1, "the charge reached the sandbox")
                #expect(try await store.charges(subscriptionID: "crash").map(\.status) == [.pending])

                let successor = try Self.engine(store, try sandbox.stripeClient(), billingClock: billingClock)
                let report = try await successor.runPass(fence: Fixtures.fence(2))
                #expect(report.reconciled == 1 && report.charged == 1, "\(report)")
                let ledger = sandbox.server.ledger()
                #expect(ledger.map(\.count) == [1] && ledger.first?.replays == 1, "\(ledger)")
                let charge = try #require(try await store.charges(subscriptionID: "crash").first)
                #expect(charge.status == .succeeded && charge.providerReference == ledger.first?.reference)
                #expect(try await sandbox.audit(store).isClean)
            }
        }
    }

    @Test("a leader with a stale token is refused by the database before the provider hears of anything", arguments: StoreKind.available)
    func staleTokenChargesNothing(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            try await SandboxHarness.with { sandbox in
                try await store.saveSubscription(Fixtures.subscription("stale").stored)
                try await store.claimFence(Fixtures.fence(5))
                let engine = try Self.engine(store, try sandbox.stripeClient(), billingClock: ManualBillingClock(Fixtures.time(Self.now)))
                let error = await #expect(throws: BillingError.self) { try await engine.runPass(fence: Fixtures.fence(4)) }
                #expect(error?.code == .staleFencingToken)
                #expect(sandbox.server.statistics().requests == 0)
                #expect(try await store.charges(subscriptionID: "stale").isEmpty)
            }
        }
    }

    /// Hole (b) over HTTP: the sandbox applies a charge and loses its answer, then forgets the key
    /// (its clock moved past its 24-hour retention). Re-sending the key would charge again; the
    /// engine looks the PaymentIntent up by its metadata instead and settles from it.
    @Test(arguments: StoreKind.available)
    func aChargeWhoseKeyTheProviderForgotIsLookedUpNotSentAgain(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            try await SandboxHarness.with(faults: FaultRates(lostRate: 1)) { sandbox in
                let subscription = Fixtures.subscription("forgotten")
                try await store.saveSubscription(subscription.stored)
                let billingClock = ManualBillingClock(subscription.currentPeriodEnd)
                let engine = try Self.engine(store, try sandbox.stripeClient(), billingClock: billingClock)
                _ = try await engine.runPass(fence: Fixtures.fence(1))
                #expect(sandbox.server.ledger().count == 1, "applied, its answer lost")
                try sandbox.server.setFaultRates(.none)
                try sandbox.server.advanceClock(by: .seconds(25 * 3600))
                billingClock.advance(by: .seconds(25 * 3600))
                _ = try await engine.runPass(fence: Fixtures.fence(1))
                let ledger = sandbox.server.ledger()
                #expect(ledger.count == 1, "the forgotten key was not sent again: \(ledger)")
                let charge = try #require(try await store.charges(subscriptionID: "forgotten").first)
                #expect(charge.status == .succeeded)
                #expect(charge.providerReference == ledger.first?.reference)
                #expect(try await store.subscription(id: "forgotten")?.currentPeriodStart == subscription.currentPeriodEnd)
            }
        }
    }

    /// A provider that stands for a process dying right after the provider answered: the first call
    /// reaches the provider, then throws ``Crash`` instead of returning the outcome.
    final class CrashAfterCallProvider: PaymentProvider {
        struct Crash: Error {}

        private let inner: any PaymentProvider
        private let crashed = Mutex(false)

        init(_ inner: any PaymentProvider) { self.inner = inner }

        func charge(_ request: ChargeRequest) async throws -> ChargeOutcome {
            let outcome = try await inner.charge(request)
            let first = crashed.withLock { crashed -> Bool in
                defer { crashed = true }
                return !crashed
            }
            if first { throw Crash() }
            return outcome
        }
    }
}
