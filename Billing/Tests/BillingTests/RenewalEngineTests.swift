import Billing
import LeaderElection
import Payments
import Synchronization
import Testing

/// The renewal engine against real stores, a fake provider with injected faults, a manual billing
/// clock and virtual time for waits (no test sleeps).
struct RenewalEngineTests {
    @Test(arguments: StoreKind.available)
    func renewsEachDueSubscriptionOnce(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z")
            let subscriptions = (0..<10).map {
                Fixtures.subscription("s\($0)", anchor: $0 < 7 ? "2025-01-31T00:00:00Z" : "2025-02-01T00:00:00Z")
            }
            for subscription in subscriptions { try await harness.save(subscription) }
            let engine = try harness.engine()
            let report = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(report.charged == 7)
            #expect(report.badRows.isEmpty)
            for subscription in subscriptions.prefix(7) {
                let key = "renewal:\(subscription.id):2025-02-28T00:00:00Z"
                #expect(harness.provider.applied(key: key) == 1)
                let renewed = try #require(try await harness.subscription(subscription.id))
                #expect(renewed.currentPeriodStart == Fixtures.time("2025-02-28T00:00:00Z"))
                #expect(renewed.currentPeriodEnd == Fixtures.time("2025-03-31T00:00:00Z"))
                let charges = try await store.charges(subscriptionID: subscription.id)
                #expect(charges.map(\.status) == [.succeeded])
                #expect(charges.first?.fencingToken == FencingToken(1))
            }
            #expect(try await store.charges(subscriptionID: "s8").isEmpty, "not due until 2025-03-01")
            // A second pass at the same time finds nothing to do.
            let second = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(second.isIdle)
            #expect(harness.provider.calls == 7)
            #expect(try harness.counter("billing_renewals_charged_total") == 7)
        }
    }

    @Test(arguments: StoreKind.available)
    func case9CatchUpAfterDowntimeBillsEachMissedPeriodOnceInOrder(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            // Last paid period ended 2025-02-28; the engine was down until 2025-04-30 12:00.
            let harness = EngineHarness(store: store, now: "2025-04-30T12:00:00Z")
            try await harness.save(
                Fixtures.subscription("late"), Fixtures.subscription("annual", anchor: "2024-04-01T00:00:00Z", interval: .annual))
            let report = try await harness.engine().runPass(fence: Fixtures.fence(1))
            #expect(report.charged == 4)
            let charges = try await store.charges(subscriptionID: "late")
            #expect(charges.map(\.periodStart.iso8601) == ["2025-02-28T00:00:00Z", "2025-03-31T00:00:00Z", "2025-04-30T00:00:00Z"])
            #expect(charges.allSatisfy { $0.status == .succeeded })
            // In order: each period's charge was created no earlier than the previous one's (and
            // the provider gave increasing references).
            let references = charges.compactMap { $0.providerReference?.dropFirst(3) }.compactMap { Int($0) }
            #expect(references == references.sorted())
            let late = try #require(try await harness.subscription("late"))
            #expect(late.currentPeriodEnd == Fixtures.time("2025-05-31T00:00:00Z"))
            #expect(try await store.charges(subscriptionID: "annual").map(\.periodStart.iso8601) == ["2025-04-01T00:00:00Z"])
            #expect(try await harness.engine().runPass(fence: Fixtures.fence(1)).isIdle)
        }
    }

    @Test(arguments: StoreKind.available)
    func case10CrashBetweenProviderCallAndRecordIsReconciledWithoutASecondCharge(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:05Z")
            let subscription = Fixtures.subscription("s")
            try await harness.save(subscription)
            // Leader 1 runs step (a) and step (b), then dies before step (c).
            let intent = Fixtures.intent(for: subscription)
            let pending = try await store.beginCharge(intent, fence: Fixtures.fence(1), at: Fixtures.time("2025-02-28T00:00:01Z"))
            let outcome = try await harness.provider.charge(
                ChargeRequest(
                    idempotencyKey: pending.idempotencyKey, amountMinor: pending.amount.minorUnits, currency: "USD",
                    customer: pending.customer, paymentMethod: pending.paymentMethod,
                    metadata: ["subscription_id": "s", "period_start": pending.periodStart.iso8601]
                ))
            guard case .succeeded = outcome else {
                Issue.record("the first charge should succeed, got \(outcome)")
                return
            }
            // Leader 2 takes over with a higher token.
            let report = try await harness.engine().runPass(fence: Fixtures.fence(2))
            #expect(report.reconciled == 1)
            #expect(report.charged == 1)
            #expect(harness.provider.calls(key: pending.idempotencyKey) == 2, "asked again with the same key")
            #expect(harness.provider.applied(key: pending.idempotencyKey) == 1, "charged once")
            #expect(harness.provider.applied(subscriptionID: "s", periodStart: intent.periodStart) == 1)
            let charges = try await store.charges(subscriptionID: "s")
            #expect(charges.count == 1, "the same charge row was reused")
            #expect(charges.first?.status == .succeeded)
            #expect(charges.first?.fencingToken == FencingToken(2))
            #expect(try await harness.subscription("s")?.currentPeriodEnd == intent.periodEnd)
            // Leader 1 wakes up and tries to record its outcome: fenced out.
            let error = await #expect(throws: BillingError.self) {
                try await store.recordRenewal(
                    RenewalRecord(
                        subscriptionID: "s", periodStart: intent.periodStart,
                        charge: ChargeUpdate(idempotencyKey: intent.idempotencyKey, status: .succeeded), subscription: nil),
                    fence: Fixtures.fence(1), at: Fixtures.time("2025-02-28T00:00:06Z")
                )
            }
            #expect(error?.code == .staleFencingToken)
        }
    }

    @Test(arguments: StoreKind.available)
    func aStaleLeaderStopsWithTheFencingError(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z")
            try await harness.save(Fixtures.subscription("s"))
            try await store.claimFence(Fixtures.fence(9))
            let error = await #expect(throws: BillingError.self) { try await harness.engine().runPass(fence: Fixtures.fence(8)) }
            #expect(error?.code == .staleFencingToken)
            #expect(harness.provider.calls == 0)
            #expect(try await store.charges(subscriptionID: "s").isEmpty)
            #expect(try harness.counter("billing_fenced_rejections_total") == 1)
        }
    }

    @Test func aLeaderDeposedMidPassStopsAtItsNextWrite() async throws {
        try await withTestStore(.sqlite) { store in
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z")
            for index in 0..<6 { try await harness.save(Fixtures.subscription("s\(index)")) }
            // The provider lets another leader raise the fence during the third charge.
            let deposing = ScriptedProvider { request in
                if harness.provider.calls == 2 {
                    try await store.claimFence(Fixtures.fence(2))
                }
                return try await harness.provider.charge(request)
            }
            var configuration = EngineHarness.smallConfiguration
            configuration.maxConcurrentRenewals = 1
            let error = await #expect(throws: BillingError.self) {
                try await harness.engine(configuration, provider: deposing).runPass(fence: Fixtures.fence(1))
            }
            #expect(error?.code == .staleFencingToken)
            let charges = try await store.charges(after: nil, limit: 100)
            #expect(charges.count == 3)
            #expect(charges.filter { $0.status == .succeeded }.count == 2)
            #expect(charges.filter { $0.status == .pending }.count == 1, "the third outcome was not recorded by the deposed leader")
            // The new leader reconciles it: charged once.
            let report = try await harness.engine().runPass(fence: Fixtures.fence(2))
            #expect(report.reconciled == 1)
            #expect(harness.provider.appliedPerPeriod.values.allSatisfy { $0 == 1 })
            #expect(harness.provider.appliedPerPeriod.count == 6)
        }
    }

    @Test(arguments: StoreKind.available)
    func case12CancelAtPeriodEndEndsWithoutACharge(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let harness = EngineHarness(store: store, now: "2025-02-27T23:59:59Z")
            try await harness.save(Fixtures.subscription("s"), Fixtures.subscription("keep"))
            // Set just before the period ends.
            var row = try #require(try await harness.subscription("s"))
            row.cancelAtPeriodEnd = true
            try await harness.save(row)
            let engine = try harness.engine()
            #expect(try await engine.runPass(fence: Fixtures.fence(1)).isIdle)
            harness.billingClock.set(Fixtures.time("2025-02-28T00:00:00Z"))
            let report = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(report.endedAtPeriodEnd == 1)
            #expect(report.charged == 1)
            #expect(try await store.charges(subscriptionID: "s").isEmpty)
            let ended = try #require(try await harness.subscription("s"))
            #expect(ended.status == .canceled)
            #expect(ended.currentPeriodEnd == Fixtures.time("2025-02-28T00:00:00Z"), "ends at the period end")
            #expect(ended.nextDueAt == nil)
            harness.billingClock.set(Fixtures.time("2025-06-01T00:00:00Z"))
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(try await store.charges(subscriptionID: "s").isEmpty, "never renews again")
        }
    }

    @Test func case13AFastReplicaClockDoesNotBillEarlyWithTheDatabaseClock() async throws {
        try await withTestStore(.sqlite) { store in
            let harness = EngineHarness(store: store, now: "2025-01-01T00:00:00Z")
            // A dunning retry due in one hour by the database's clock.
            let databaseNow = try await store.currentTime()
            var subscription = Fixtures.subscription("s", anchor: "2025-01-31T00:00:00Z").stored
            subscription.status = SubscriptionStatus.pastDue.rawValue
            subscription.failedAttempts = 1
            subscription.nextAttemptAt = databaseNow + .seconds(3600)
            try await store.saveSubscription(subscription)
            // A replica whose own clock runs two hours fast would bill now ...
            let fastReplica = ManualBillingClock(databaseNow + .seconds(7200))
            let agreed = try RenewalEngine(
                store: store, provider: harness.provider, billingClock: DatabaseBillingClock(store: store), clock: harness.clock,
                logger: testLogger)
            let report = try await agreed.runPass(fence: Fixtures.fence(1))
            // ... but the engine asks the database, so nothing is due yet.
            #expect(report.isIdle)
            #expect(harness.provider.calls == 0)
            #expect(try subscription.validated().isDue(at: try await fastReplica.now()))
        }
    }

    /// A decline that arrives 10 s into a pass (a slow provider, a paused database) is dated when
    /// it arrived: its retry waits the schedule's gap from then, not from the start of the pass.
    @Test(arguments: StoreKind.available)
    func aDeclineIsDatedWhenItArrivesNotWhenItsPassBegan(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let base = FakePaymentProvider { _, _ in .decline(hard: false) }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: base)
            let slow = HookedProvider(base: base) { _ in try await harness.clock.sleep(for: .seconds(10)) }
            try await harness.save(Fixtures.subscription("poor"))
            let report = try await harness.engine(provider: slow).runPass(fence: Fixtures.fence(1))
            #expect(report.retriesScheduled == 1)
            let row = try #require(try await harness.subscription("poor"))
            #expect(row.retry?.nextAttemptAt == Fixtures.time("2025-03-01T00:00:10Z"))
        }
    }

    @Test(arguments: StoreKind.available)
    func dunningRetriesOnScheduleThenCancels(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let provider = FakePaymentProvider { request, _ in
                request.customer == "cus_poor" ? .decline(hard: false) : .none
            }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: provider)
            try await harness.save(Fixtures.subscription("poor"))
            let engine = try harness.engine()
            var report = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(report.declined == 1)
            #expect(report.retriesScheduled == 1)
            var expectedRetry = Fixtures.time("2025-03-01T00:00:00Z")
            for (retry, gapDays) in [(1, 2), (2, 2), (3, 2)] {
                let row = try #require(try await harness.subscription("poor"))
                #expect(row.status == .pastDue)
                #expect(row.retry == RetryState(failedAttempts: retry, nextAttemptAt: expectedRetry))
                #expect(row.currentPeriodEnd == Fixtures.time("2025-02-28T00:00:00Z"), "the unpaid period does not advance")
                // A millisecond before the retry: nothing.
                harness.billingClock.set(expectedRetry + .milliseconds(-1))
                #expect(try await engine.runPass(fence: Fixtures.fence(1)).isIdle)
                harness.billingClock.set(expectedRetry)
                report = try await engine.runPass(fence: Fixtures.fence(1))
                #expect(report.declined == 1)
                expectedRetry = expectedRetry + .seconds(Int64(gapDays) * 86_400)
            }
            // The attempt 7 days after the first failure fails too: canceled.
            harness.billingClock.set(Fixtures.time("2025-03-07T00:00:00Z"))
            report = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(report.canceledForNonPayment == 1)
            let ended = try #require(try await harness.subscription("poor"))
            #expect(ended.status == .canceled)
            let charge = try #require(try await store.charges(subscriptionID: "poor").first)
            #expect(charge.status == .failed)
            #expect(charge.attempts == 5)
            #expect(charge.idempotencyKey == "renewal:poor:2025-02-28T00:00:00Z:retry-4")
            #expect(charge.failureCode == "insufficient_funds")
            #expect(provider.calls == 5)
            #expect(provider.appliedPerPeriod.isEmpty)
            #expect(try harness.counter("billing_renewals_declined_total") == 5)
            #expect(try harness.counter("billing_renewals_retried_total") == 4)
            #expect(try harness.counter("billing_renewals_failed_total") == 1)
        }
    }

    @Test func dunningRecoversWhenARetrySucceeds() async throws {
        try await withTestStore(.sqlite) { store in
            let provider = FakePaymentProvider { request, _ in
                request.idempotencyKey.hasSuffix(":retry-1") ? .none : .decline(hard: false)
            }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: provider)
            try await harness.save(Fixtures.subscription("s"))
            let engine = try harness.engine()
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            harness.billingClock.set(Fixtures.time("2025-03-01T00:00:00Z"))
            let report = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(report.charged == 1)
            let row = try #require(try await harness.subscription("s"))
            #expect(row.status == .active)
            #expect(row.retry == nil)
            #expect(row.currentPeriodEnd == Fixtures.time("2025-03-31T00:00:00Z"), "the anchor keeps the cycle: no shift to the retry day")
            #expect(provider.applied(subscriptionID: "s", periodStart: Fixtures.time("2025-02-28T00:00:00Z")) == 1)
        }
    }

    @Test func aHardDeclineIsNeverRetried() async throws {
        try await withTestStore(.sqlite) { store in
            let provider = FakePaymentProvider { _, _ in .decline(hard: true) }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: provider)
            try await harness.save(Fixtures.subscription("s"))
            let report = try await harness.engine().runPass(fence: Fixtures.fence(1))
            #expect(report.canceledForNonPayment == 1)
            #expect(report.retriesScheduled == 0)
            #expect(try await harness.subscription("s")?.status == .canceled)
            harness.billingClock.set(Fixtures.time("2025-04-01T00:00:00Z"))
            #expect(try await harness.engine().runPass(fence: Fixtures.fence(1)).isIdle)
            #expect(provider.calls == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func badRowsAreReportedAndSkippedWithoutStoppingTheRun(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z")
            let good = Fixtures.subscription("good")
            var negative = Fixtures.subscription("negative").stored
            negative.priceMinor = -500
            var currency = Fixtures.subscription("currency").stored
            currency.currency = "XYZ"
            var interval = Fixtures.subscription("interval").stored
            interval.interval = "weekly"
            var offCycle = Fixtures.subscription("offcycle").stored
            offCycle.currentPeriodEnd = offCycle.currentPeriodEnd + .seconds(-86_400)
            for row in [negative, currency, interval, offCycle] { try await store.saveSubscription(row) }
            try await harness.save(good, Fixtures.subscription("good2"))
            let report = try await harness.engine().runPass(fence: Fixtures.fence(1))
            #expect(report.charged == 2)
            #expect(Set(report.badRows.map(\.subscriptionID)) == ["negative", "currency", "interval", "offcycle"])
            #expect(report.badRows.first { $0.subscriptionID == "currency" }?.reason.contains("XYZ") == true)
            #expect(report.badRows.first { $0.subscriptionID == "interval" }?.reason.contains("weekly") == true)
            #expect(report.badRows.first { $0.subscriptionID == "negative" }?.reason.contains("-500") == true)
            #expect(try harness.counter("billing_bad_rows_total") == 4)
            #expect(harness.provider.calls == 2)
        }
    }

    /// Every fault kind of the provider occurs; every due renewal still ends charged exactly once.
    @Test(arguments: StoreKind.available)
    func everyFaultKindStillChargesEachDueRenewalExactlyOnce(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let faults: [FakePaymentProvider.Fault] = [
                .none, .decline(hard: false), .retryable, .rateLimited(retryAfter: .seconds(7)), .rateLimited(retryAfter: nil),
                .unknownBeforeApplying, .lostResponse, .conflict,
            ]
            // Subscription i meets fault i % faults.count on the first request for its first due
            // period (on the second too for every third subscription: the fault repeats during
            // reconciliation or the in-pass retry).
            let provider = FakePaymentProvider { request, callForKey in
                guard let id = request.metadata["subscription_id"], let number = Int(id.dropFirst()) else { return .none }
                let firstPeriod = number % 2 == 0 ? "2025-02-28T00:00:00Z" : "2025-04-30T00:00:00Z"
                let repeats = number % 3 == 0 ? 2 : 1
                let faulted =
                    callForKey < repeats && request.metadata["period_start"] == firstPeriod && !request.idempotencyKey.contains(":retry-")
                return faulted ? faults[number % faults.count] : .none
            }
            let harness = EngineHarness(store: store, now: "2025-04-30T12:00:00Z", provider: provider)
            let count = 40
            for number in 0..<count {
                // Half of them also missed periods (catch-up).
                try await harness.save(
                    Fixtures.subscription("s\(number)", anchor: number % 2 == 0 ? "2025-01-31T00:00:00Z" : "2025-03-31T00:00:00Z"))
            }
            var configuration = EngineHarness.smallConfiguration
            configuration.maxTransientRetries = 1
            let engine = try harness.engine(configuration)
            var passes = 0
            var total = RenewalReport(now: Fixtures.time("2025-04-30T12:00:00Z"))
            // Passes at the same instant resolve unknowns; a day later the dunning retries run.
            for day in 0..<3 {
                harness.billingClock.set(Fixtures.time("2025-04-30T12:00:00Z") + .seconds(Int64(day) * 86_400))
                for _ in 0..<3 {
                    let report = try await engine.runPass(fence: Fixtures.fence(1))
                    passes += 1
                    total.now = report.now
                    total.charged += report.charged
                    total.reconciled += report.reconciled
                    total.unknown += report.unknown
                    total.declined += report.declined
                }
            }
            // Every subscription is paid up to its period ending 2025-05-31 (monthly from the 31st).
            for number in 0..<count {
                let row = try #require(try await harness.subscription("s\(number)"))
                #expect(row.status == .active, "s\(number)")
                #expect(row.currentPeriodEnd == Fixtures.time("2025-05-31T00:00:00Z"), "s\(number)")
            }
            let expectedPeriods = (0..<count).reduce(0) { $0 + ($1 % 2 == 0 ? 3 : 1) }
            #expect(provider.appliedPerPeriod.count == expectedPeriods)
            #expect(provider.appliedPerPeriod.values.allSatisfy { $0 == 1 }, "no period charged twice")
            let ledger = try await store.charges(after: nil, limit: 1000)
            #expect(ledger.count == expectedPeriods)
            #expect(ledger.allSatisfy { $0.status == .succeeded })
            #expect(total.charged == expectedPeriods)
            #expect(total.reconciled > 0)
            #expect(total.declined > 0)
            // The rate-limit pause was honoured, in virtual time.
            #expect(harness.clock.elapsed >= .seconds(7))
            #expect(harness.clock.requestedSleeps.contains { $0 >= .seconds(6) })
            #expect(try harness.metrics.expectCounter("billing_provider_retries_total", [("reason", "rate_limited")]).totalValue > 0)
            #expect(try harness.metrics.expectCounter("billing_provider_retries_total", [("reason", "retryable")]).totalValue > 0)
            #expect(try harness.counter("billing_renewals_reconciled_total") == Int64(total.reconciled))
        }
    }

    @Test(arguments: StoreKind.available)
    func stopsTheInstantItsTaskIsCancelledAndTheNextLeaderReconciles(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z")
            try await harness.save(Fixtures.subscription("s"))
            let entered = AsyncStream<Void>.makeStream()
            let hanging = ScriptedProvider { _ in
                entered.continuation.yield()
                // Hangs until cancelled: a provider call in flight when leadership is lost.
                try await Task.sleep(for: .seconds(86_400))
                return .unknown(message: "unreachable")
            }
            let engine = try harness.engine(provider: hanging)
            let outcome = await withTaskGroup(of: (any Error)?.self) { group in
                group.addTask {
                    do {
                        try await engine.run(fence: Fixtures.fence(1))
                        return nil
                    } catch {
                        return error
                    }
                }
                for await _ in entered.stream { break }
                group.cancelAll()
                return await group.next() ?? nil
            }
            #expect(outcome is CancellationError)
            #expect(try await store.charges(subscriptionID: "s").map(\.status) == [.pending])
            let report = try await harness.engine().runPass(fence: Fixtures.fence(2))
            #expect(report.reconciled == 1)
            #expect(harness.provider.applied(key: "renewal:s:2025-02-28T00:00:00Z") == 1)
        }
    }

    @Test func runsInsideWithLeadershipWithTheLeadershipsToken() async throws {
        try await withTestStore(.sqlite) { store in
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z")
            try await harness.save(Fixtures.subscription("s"))
            let election = Election(name: Fixtures.election, candidateID: "replica-1", backend: InMemoryBackend(), logger: testLogger)
            let engine = try harness.engine()
            let (token, report) = try await election.withLeadership { leadership in
                (leadership.token, try await engine.runPass(fence: Fence(leadership), checkLeadership: { try leadership.checkValid() }))
            }
            #expect(report.charged == 1)
            #expect(try await store.highestFencingToken(election: Fixtures.election) == token)
            #expect(try await store.charges(subscriptionID: "s").first?.fencingToken == token)
        }
    }
}

/// A provider made of a closure.
struct ScriptedProvider: PaymentProvider {
    let body: @Sendable (ChargeRequest) async throws -> ChargeOutcome
    init(_ body: @escaping @Sendable (ChargeRequest) async throws -> ChargeOutcome) { self.body = body }
    func charge(_ request: ChargeRequest) async throws -> ChargeOutcome { try await body(request) }
}
