import Billing
import LeaderElection
import Payments
import Testing

/// The engine's exactly-once holes, each driven on the virtual clocks with a provider that
/// replays per key: a lost answer followed by an outage, an outage past the key's retention, a
/// cancellation racing step (c), one charge the provider rejects among many.
struct ExactlyOnceTests {
    static let period = Fixtures.time("2025-02-28T00:00:00Z")

    /// (a) The key reached the provider and was applied, its answer lost; then the provider is
    /// unreachable (connections refused) for longer than the whole dunning schedule. The key is
    /// never abandoned: one charge at the provider, the charge ends succeeded, the subscription
    /// is never past due.
    @Test(arguments: StoreKind.available)
    func aLostAnswerThenAnOutageThroughTheDunningScheduleChargesOnce(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let provider = FakePaymentProvider { _, callForKey in callForKey == 0 ? .lostResponse : .none }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: provider)
            try await harness.save(Fixtures.subscription("s"))
            let engine = try harness.engine()
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(provider.applied(subscriptionID: "s", periodStart: Self.period) == 1)
            // The provider is cut off for ten days, well past the last dunning retry (7 days).
            // Passes run every six hours, each past the open charge's back-off.
            provider.setReachable(false)
            for _ in 0..<40 {
                harness.billingClock.advance(by: .seconds(6 * 3600))
                _ = try await engine.runPass(fence: Fixtures.fence(1))
                let row = try #require(try await harness.subscription("s"))
                #expect(row.status == .active, "a provider that was not reached never moves the subscription")
            }
            provider.setReachable(true)
            harness.billingClock.advance(by: .seconds(6 * 3600))
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(provider.applied(subscriptionID: "s", periodStart: Self.period) == 1, "one charge at the provider for the period")
            #expect(provider.appliedPerPeriod.values.reduce(0, +) == provider.appliedPerPeriod.count, "no period charged twice")
            let charge = try #require(try await store.charges(subscriptionID: "s").first { $0.periodStart == Self.period })
            #expect(charge.status == .succeeded)
            #expect(charge.idempotencyKey == "renewal:s:2025-02-28T00:00:00Z", "the first key, never a retry key")
            let row = try #require(try await harness.subscription("s"))
            #expect(row.status == .active)
            #expect(row.currentPeriodStart >= Self.period)
        }
    }

    /// The same outage, lasting past the provider's key retention (24 h): the key is not
    /// replayed blind (the provider forgot it and would charge again); the charge is looked up and
    /// settled from what the provider holds.
    @Test(arguments: StoreKind.available)
    func anOutagePastTheKeysRetentionIsSettledByALookup(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let clock = ManualBillingClock(Self.period)
            let provider = FakePaymentProvider(retention: .seconds(24 * 3600), clock: clock) { _, callForKey in
                callForKey == 0 ? .lostResponse : .none
            }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: provider)
            try await harness.save(Fixtures.subscription("s"))
            let engine = try harness.engine()
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            provider.setReachable(false)
            for _ in 0..<12 {
                harness.billingClock.advance(by: .seconds(6 * 3600))
                clock.advance(by: .seconds(6 * 3600))
                _ = try await engine.runPass(fence: Fixtures.fence(1))
            }
            provider.setReachable(true)
            harness.billingClock.advance(by: .seconds(3600))
            clock.advance(by: .seconds(3600))
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(provider.applied(subscriptionID: "s", periodStart: Self.period) == 1, "the forgotten key was not sent again")
            #expect(provider.lookups >= 1)
            let charge = try #require(try await store.charges(subscriptionID: "s").first { $0.periodStart == Self.period })
            #expect(charge.status == .succeeded)
            #expect(charge.reviewReason == nil)
            #expect(try await harness.subscription("s")?.status == .active)
        }
    }

    /// Past the retention, a charge the provider holds no trace of was never applied: its key is
    /// sent anew, with a new replay window written first, and charges once.
    @Test func aKeyThatNeverArrivedIsSentAnewAfterItsRetention() async throws {
        try await withTestStore(.sqlite) { store in
            let clock = ManualBillingClock(Self.period)
            let provider = FakePaymentProvider(retention: .seconds(24 * 3600), clock: clock) { _, callForKey in
                callForKey == 0 ? .unknownBeforeApplying : .none
            }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: provider)
            try await harness.save(Fixtures.subscription("s"))
            let engine = try harness.engine()
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            let sentAt = try #require(try await store.charges(subscriptionID: "s").first?.keySentAt)
            harness.billingClock.advance(by: .seconds(48 * 3600))
            clock.advance(by: .seconds(48 * 3600))
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            let charge = try #require(try await store.charges(subscriptionID: "s").first)
            #expect(charge.status == .succeeded)
            #expect(try #require(charge.keySentAt) > sentAt, "the new send time restarts the key's window")
            #expect(provider.applied(subscriptionID: "s", periodStart: Self.period) == 1)
        }
    }

    /// Past the retention, when the lookup finds more than one charge it cannot tell which is
    /// this key's: the charge is parked, nothing more is sent, and an operator settles it.
    @Test func anAmbiguousLookupParksTheChargeForAnOperator() async throws {
        try await withTestStore(.sqlite) { store in
            let clock = ManualBillingClock(Self.period)
            // The key's first answer is lost; a second, forgotten-key request (by another system)
            // charged the same references again, so two charges carry them.
            let provider = FakePaymentProvider(retention: .seconds(2 * 3600), clock: clock) { _, callForKey in
                callForKey == 0 ? .lostResponse : .none
            }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: provider)
            try await harness.save(Fixtures.subscription("s"))
            let engine = try harness.engine()
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            let charge = try #require(try await store.charges(subscriptionID: "s").first)
            clock.advance(by: .seconds(3 * 3600))
            _ = try await provider.charge(RenewalEngine.request(for: charge))
            #expect(provider.applied(subscriptionID: "s", periodStart: Self.period) == 2)
            harness.billingClock.advance(by: .seconds(48 * 3600))
            let report = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(report.parkedForReview == 1)
            let calls = provider.calls
            harness.billingClock.advance(by: .seconds(48 * 3600))
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(provider.calls == calls, "nothing more is sent for a parked charge")
            let parked = try await store.chargesInReview(limit: 10)
            #expect(parked.map(\.idempotencyKey) == [charge.idempotencyKey])
            #expect(parked.first?.reviewReason?.hasPrefix("lookup_ambiguous") == true)
            #expect(try await store.countChargesInReview() == 1)
            #expect(try harness.counter("billing_charges_parked_for_review_total") == 1)

            // The operator settles it: the period is paid, and the settlement is on record.
            let resolved = try await store.resolveCharge(
                ChargeResolution(
                    idempotencyKey: charge.idempotencyKey, outcome: .succeeded, providerReference: "pi_1", operatorName: "test"))
            #expect(resolved.status == .succeeded)
            #expect(resolved.reviewReason == nil)
            #expect(try await harness.subscription("s")?.currentPeriodStart == Self.period)
            #expect(try await store.chargesInReview(limit: 10).isEmpty)
            #expect(try await store.countChargesInReview() == 0)
            await #expect(throws: BillingError.self, "a second settlement writes nothing") {
                try await store.resolveCharge(
                    ChargeResolution(idempotencyKey: charge.idempotencyKey, outcome: .failed, operatorName: "test"))
            }
        }
    }

    /// (c) A cancellation lands while the provider is charging (between steps (b) and (c)),
    /// written as the old command line wrote it (the whole row) and as it writes it now (one
    /// targeted update). The subscription stays canceled, no later period is charged, and the
    /// charge that did happen is recorded and flagged for a refund review.
    @Test(arguments: StoreKind.available, [false, true])
    func aCancellationRacingStepCStaysCanceled(_ kind: StoreKind, targeted: Bool) async throws {
        try await withTestStore(kind) { store in
            let fake = FakePaymentProvider()
            let provider = HookedProvider(base: fake) { request in
                guard request.metadata["subscription_id"] == "s", fake.calls(key: request.idempotencyKey) == 1 else { return }
                if targeted {
                    _ = try await store.cancelSubscription(id: "s", atPeriodEnd: false)
                } else {
                    var row = try #require(try await store.subscription(id: "s"))
                    row.status = SubscriptionStatus.canceled.rawValue
                    try await store.saveSubscription(row)
                }
            }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: fake)
            try await harness.save(Fixtures.subscription("s"))
            let engine = try harness.engine(provider: provider)
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(try await harness.subscription("s")?.status == .canceled, "the renewal in flight did not undo the cancellation")
            // Months later: the charge that happened is settled, nothing more is charged.
            for _ in 0..<3 {
                harness.billingClock.advance(by: .seconds(31 * 86_400))
                _ = try await engine.runPass(fence: Fixtures.fence(1))
            }
            #expect(try await harness.subscription("s")?.status == .canceled)
            #expect(fake.appliedPerPeriod == ["s@2025-02-28T00:00:00Z": 1], "no later period is charged")
            let charge = try #require(try await store.charges(subscriptionID: "s").first)
            #expect(charge.status == .succeeded)
            #expect(charge.reviewReason == RenewalDecision.refundReviewReason)
        }
    }

    /// A slow cancel-at-period-end racing a renewal: the flag survives, the paid period runs
    /// out, and the subscription ends without another charge.
    @Test(arguments: StoreKind.available)
    func aCancelAtPeriodEndRacingStepCIsKept(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let fake = FakePaymentProvider()
            let provider = HookedProvider(base: fake) { request in
                guard fake.calls(key: request.idempotencyKey) == 1 else { return }
                _ = try await store.cancelSubscription(id: "s", atPeriodEnd: true)
            }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: fake)
            try await harness.save(Fixtures.subscription("s"))
            let engine = try harness.engine(provider: provider)
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            let paid = try #require(try await harness.subscription("s"))
            #expect(paid.status == .active)
            #expect(paid.cancelAtPeriodEnd)
            #expect(paid.currentPeriodEnd == Fixtures.time("2025-03-31T00:00:00Z"))
            harness.billingClock.set(Fixtures.time("2025-03-31T00:00:00Z"))
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(try await harness.subscription("s")?.status == .canceled)
            #expect(fake.appliedPerPeriod == ["s@2025-02-28T00:00:00Z": 1])
        }
    }

    /// (d) The provider rejects one charge as a request (a payment method that no longer
    /// exists): that charge is parked for review, and every other subscription is charged.
    @Test(arguments: StoreKind.available)
    func oneRejectedChargeIsParkedAndBillingGoesOn(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let provider = FakePaymentProvider { request, _ in request.metadata["subscription_id"] == "c" ? .invalidRequest : .none }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: provider)
            let ids = ["a", "b", "c", "d", "e", "f", "g"]
            for id in ids { try await harness.save(Fixtures.subscription(id)) }
            let engine = try harness.engine()
            let report = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(report.charged == ids.count - 1)
            #expect(report.parkedForReview == 1)
            // The next passes (a new leader's too) leave it alone and go on.
            let calls = provider.calls
            _ = try await engine.runPass(fence: Fixtures.fence(2))
            #expect(provider.calls == calls)
            for id in ids where id != "c" {
                #expect(provider.applied(subscriptionID: id, periodStart: Self.period) == 1)
            }
            let parked = try await store.chargesInReview(limit: 10)
            #expect(parked.map(\.subscriptionID) == ["c"])
            #expect(parked.first?.status == .pending)
            #expect(parked.first?.reviewReason?.hasPrefix("provider_rejected") == true)
            #expect(try await harness.subscription("c")?.status == .active, "not past due: nothing was declined")
        }
    }

    /// Dunning is exact: a decline is recorded once per schedule step, each step under its own key,
    /// and a subscription canceled while past due gets no further attempt.
    @Test(arguments: StoreKind.available)
    func aSubscriptionCanceledWhilePastDueGetsNoFurtherAttempt(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let provider = FakePaymentProvider { _, _ in .decline(hard: false) }
            let harness = EngineHarness(store: store, now: "2025-02-28T00:00:00Z", provider: provider)
            try await harness.save(Fixtures.subscription("s"))
            let engine = try harness.engine()
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            _ = try await engine.runPass(fence: Fixtures.fence(1))
            #expect(provider.calls == 1, "a decline is not retried within its step")
            _ = try await store.cancelSubscription(id: "s", atPeriodEnd: false)
            for _ in 0..<10 {
                harness.billingClock.advance(by: .seconds(86_400))
                _ = try await engine.runPass(fence: Fixtures.fence(1))
            }
            #expect(provider.calls == 1)
            #expect(try await harness.subscription("s")?.status == .canceled)
        }
    }
}
