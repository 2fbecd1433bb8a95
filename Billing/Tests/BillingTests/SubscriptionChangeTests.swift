import Billing
import LeaderElection
import Payments
import Testing

/// The subscriptions API's changes against real stores: each a conditional write on the row's
/// version, and none lost or undone by a renewal in flight.
struct SubscriptionChangeTests {
    @Test(arguments: StoreKind.available)
    func aScheduledPlanIsChargedAndAppliedWithTheNextPeriodOnly(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            // Paid up to 2025-02-28; catching up at 2025-03-31 charges two monthly periods. The
            // annual plan, scheduled first, applies from the first of them, with a new cycle there.
            let harness = EngineHarness(store: store, now: "2025-03-31T00:00:00Z")
            try await harness.save(Fixtures.subscription("s"))
            let annual = try Plan(interval: .annual, price: Money(minorUnits: 19_999, currency: .usd))
            let scheduled = try await store.changeSubscription(id: "s", ifVersion: nil, .plan(annual))
            #expect(scheduled.pendingPlan?.priceMinor == 19_999)
            #expect(try await store.subscription(id: "s")?.validated().plan.price.minorUnits == 1999, "the current period keeps its plan")

            let report = try await harness.engine().runPass(fence: Fixtures.fence(1))
            #expect(report.charged == 1, "one annual period covers up to 2026-02-28")
            let charges = try await store.charges(subscriptionID: "s")
            #expect(charges.map(\.amount.minorUnits) == [19_999])
            #expect(charges.map(\.periodEnd) == [Fixtures.time("2026-02-28T00:00:00Z")])
            let renewed = try #require(try await harness.subscription("s"))
            #expect(renewed.plan == annual)
            #expect(renewed.pendingPlan == nil)
            #expect(renewed.billingCycleAnchor == Fixtures.time("2025-02-28T00:00:00Z"))
            #expect(renewed.currentPeriodEnd == Fixtures.time("2026-02-28T00:00:00Z"))
        }
    }

    @Test(arguments: StoreKind.available)
    func changesAreConditionalOnTheVersionAndTheState(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            try await store.saveSubscription(Fixtures.subscription("s").stored)
            let version = try #require(try await store.subscription(id: "s")).version
            let paused = try await store.changeSubscription(id: "s", ifVersion: version, .pause)
            #expect(paused.status == "paused")
            #expect(paused.version == version + 1)
            #expect(paused.nextDueAt == nil, "a paused subscription is never due")
            let stale = await #expect(throws: BillingError.self) {
                try await store.changeSubscription(id: "s", ifVersion: version, .paymentMethod("pm_new"))
            }
            #expect(stale?.code == .versionMismatch)
            let twice = await #expect(throws: BillingError.self) { try await store.changeSubscription(id: "s", ifVersion: nil, .pause) }
            #expect(twice?.code == .transitionNotAllowed)
            let missing = await #expect(throws: BillingError.self) { try await store.changeSubscription(id: "x", ifVersion: nil, .pause) }
            #expect(missing?.code == .subscriptionNotFound)
            _ = try await store.changeSubscription(id: "s", ifVersion: nil, .cancel(atPeriodEnd: false))
            let revived = await #expect(throws: BillingError.self) { try await store.changeSubscription(id: "s", ifVersion: nil, .resume) }
            #expect(revived?.code == .transitionNotAllowed, "a cancellation is never undone")
            #expect(try await store.subscription(id: "s")?.status == "canceled")
        }
    }

    @Test(arguments: StoreKind.available)
    func resumingSkipsThePeriodsThatEndedWhilePaused(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let harness = EngineHarness(store: store, now: "2025-05-10T00:00:00Z")
            try await harness.save(Fixtures.subscription("s"))  // paid up to 2025-02-28
            _ = try await store.changeSubscription(id: "s", ifVersion: nil, .pause)
            #expect(try await harness.engine().runPass(fence: Fixtures.fence(1)).charged == 0, "nothing is charged while paused")
            // The store's clock (not the harness's) decides "now" for resume: today, after May 2025.
            let resumed = try await store.changeSubscription(id: "s", ifVersion: nil, .resume)
            #expect(resumed.status == "active")
            let now = try await store.currentTime()
            #expect(resumed.currentPeriodStart <= now && now < resumed.currentPeriodEnd, "it continues in the period that contains now")
            #expect(try await store.charges(subscriptionID: "s").isEmpty, "the skipped periods are not owed")
        }
    }

    /// Changes landing while the provider is charging (between steps (b) and (c)): none is lost,
    /// none is undone, and the charge that happened is recorded once.
    @Test(arguments: StoreKind.available, ["pause", "payment_method", "plan", "cancel"])
    func aChangeRacingARenewalIsKept(_ kind: StoreKind, change: String) async throws {
        try await withTestStore(kind) { store in
            let fake = FakePaymentProvider()
            let annual = try Plan(interval: .annual, price: Money(minorUnits: 19_999, currency: .usd))
            let provider = HookedProvider(base: fake) { request in
                guard fake.calls(key: request.idempotencyKey) == 1 else { return }
                let made: SubscriptionChange =
                    switch change {
                    case "pause": .pause
                    case "payment_method": .paymentMethod("pm_new")
                    case "plan": .plan(annual)
                    default: .cancel(atPeriodEnd: false)
                    }
                _ = try await store.changeSubscription(id: "s", ifVersion: nil, made)
            }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: fake)
            try await harness.save(Fixtures.subscription("s"))
            let engine = try harness.engine(provider: provider)
            for _ in 0..<3 { _ = try await engine.runPass(fence: Fixtures.fence(1)) }
            let row = try #require(try await store.subscription(id: "s"))
            let charge = try #require(try await store.charges(subscriptionID: "s").first)
            #expect(fake.appliedPerPeriod == ["s@2025-02-28T00:00:00Z": 1])
            #expect(charge.status == .succeeded)
            switch change {
            case "pause", "cancel":
                #expect(row.status == (change == "pause" ? "paused" : "canceled"), "the renewal in flight did not undo the change")
                #expect(charge.reviewReason != nil, "the charge that happened asks for a refund review")
            case "payment_method":
                #expect(row.paymentMethod == "pm_new", "the change survived the renewal")
                #expect(row.status == "active")
                #expect(row.currentPeriodEnd == Fixtures.time("2025-03-31T00:00:00Z"), "and the renewal was applied after it")
            default:
                #expect(row.pendingPlan?.priceMinor == 19_999, "the plan scheduled during the renewal waits for the next period")
                #expect(row.currentPeriodEnd == Fixtures.time("2025-03-31T00:00:00Z"))
                #expect(charge.amount.minorUnits == 1999)
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func creationsAreRecordedByKeyAndListedInPages(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let recording = RecordedCreation(idempotencyKey: "k1", request: "{a}", subscriptionID: "s1", response: "{}")
            try await store.createSubscription(Fixtures.subscription("s1").stored, recording: recording)
            #expect(try await store.recordedCreation(idempotencyKey: "k1") == recording)
            let reused = await #expect(throws: BillingError.self) {
                try await store.createSubscription(Fixtures.subscription("s2").stored, recording: recording)
            }
            #expect(reused?.code == .idempotencyKeyReused)
            #expect(try await store.subscription(id: "s2") == nil, "nothing was written")
            let taken = await #expect(throws: BillingError.self) { try await store.createSubscription(Fixtures.subscription("s1").stored) }
            #expect(taken?.code == .transitionNotAllowed)
            for id in ["s2", "s3", "s4"] { try await store.createSubscription(Fixtures.subscription(id).stored) }
            _ = try await store.changeSubscription(id: "s3", ifVersion: nil, .pause)
            #expect(try await store.subscriptions(status: nil, after: nil, limit: 2).map(\.id) == ["s1", "s2"])
            #expect(try await store.subscriptions(status: nil, after: "s2", limit: 2).map(\.id) == ["s3", "s4"])
            #expect(try await store.subscriptions(status: "paused", after: nil, limit: 10).map(\.id) == ["s3"])
        }
    }

    /// Many writers change subscriptions through the conditional write (as the API does, with the
    /// version they read) while the engine renews them, with real concurrency: every change that
    /// was acknowledged is in the final row (no lost update), and no cancellation or pause is
    /// undone by a renewal (a charge that raced it is recorded and flagged, never applied).
    @Test(arguments: StoreKind.available)
    func concurrentChangesAndRenewalsLoseNothing(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let fake = FakePaymentProvider()
            // The provider yields mid-call, widening the window between steps (a) and (c).
            let provider = HookedProvider(base: fake) { _ in await Task.yield() }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: fake)
            let ids = (0..<60).map { "s\($0)" }
            for id in ids { try await harness.save(Fixtures.subscription(id)) }
            var configuration = EngineHarness.smallConfiguration
            configuration.providerRequestsPerSecond = nil
            let engine = try harness.engine(configuration, provider: provider)

            /// What the writers were told succeeded, per subscription: the last payment method, and a terminal change.
            struct Acknowledged: Sendable {
                /// Payment methods written, with the row version each write produced.
                var paymentMethods: [(version: Int64, method: String)] = []
                var terminal: String?
            }
            let acknowledged = try await withThrowingTaskGroup(of: [String: Acknowledged].self) { group in
                group.addTask {
                    for _ in 0..<6 { _ = try await engine.runPass(fence: Fixtures.fence(1)) }
                    return [:]
                }
                for writer in 0..<4 {
                    group.addTask {
                        var mine: [String: Acknowledged] = [:]
                        for (index, id) in ids.enumerated() where index % 4 == writer || index % 3 == 0 {
                            for round in 0..<3 {
                                let terminal: SubscriptionChange = index % 2 == 0 ? .cancel(atPeriodEnd: false) : .pause
                                let change: SubscriptionChange = round < 2 ? .paymentMethod("pm_\(writer)_\(round)") : terminal
                                guard let written = try await Self.changeAsAnAPIClient(id, change, store) else { continue }
                                if case .paymentMethod(let method) = change {
                                    mine[id, default: .init()].paymentMethods.append((written.version, method))
                                } else {
                                    mine[id, default: .init()].terminal = "\(change)"
                                }
                            }
                        }
                        return mine
                    }
                }
                var all: [[String: Acknowledged]] = []
                for try await result in group { all.append(result) }
                return all
            }
            // Settle what is still open, then check every row against what was acknowledged.
            for _ in 0..<3 { _ = try await engine.runPass(fence: Fixtures.fence(1)) }
            for id in ids {
                let row = try #require(try await store.subscription(id: id))
                let mine = acknowledged.compactMap { $0[id] }
                let terminals = mine.compactMap(\.terminal)
                if let terminal = terminals.first {
                    #expect(terminals.count == 1, "\(id): two writers both ended it")
                    let expected = terminal.hasPrefix("cancel") ? "canceled" : "paused"
                    #expect(row.status == expected, "\(id): \(terminal) was undone: \(row.status)")
                }
                // Conditional writes are ordered by the versions they produced: the last acknowledged
                // payment method is the row's (the engine never writes it back).
                let versions = mine.flatMap(\.paymentMethods).map(\.version)
                #expect(Set(versions).count == versions.count, "\(id): two acknowledged writes produced one version")
                if let last = mine.flatMap(\.paymentMethods).max(by: { $0.version < $1.version }) {
                    #expect(row.paymentMethod == last.method, "\(id): lost update: \(row.paymentMethod), acknowledged last \(last.method)")
                }
                for charge in try await store.charges(subscriptionID: id) where charge.status == .succeeded && row.status != "active" {
                    // Charged while it was being ended: recorded, not applied, flagged unless it was paid before the end.
                    #expect(charge.reviewReason != nil || row.currentPeriodStart >= charge.periodStart, "\(id): \(charge)")
                }
            }
            #expect(fake.appliedPerPeriod.values.allSatisfy { $0 == 1 }, "each period charged at most once")
        }
    }

    /// Reads the row and changes it with If-Match (its version), reading again on a version
    /// conflict, as an API client does; the row written, or nil when the change is not allowed
    /// (another writer ended the subscription first) or kept conflicting.
    static func changeAsAnAPIClient(
        _ id: String, _ change: SubscriptionChange, _ store: any BillingStore
    ) async throws -> StoredSubscription? {
        for _ in 0..<20 {
            guard let row = try await store.subscription(id: id) else { return nil }
            do {
                return try await store.changeSubscription(id: id, ifVersion: row.version, change)
            } catch let error as BillingError where error.code == .versionMismatch || error.code == .concurrentModification {
                await Task.yield()
            } catch let error as BillingError where error.code == .transitionNotAllowed {
                return nil
            }
        }
        return nil
    }
}
