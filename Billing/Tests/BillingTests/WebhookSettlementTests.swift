import Billing
import LeaderElection
import Testing

/// Webhook deliveries against real stores: each event applied at most once, only to an open charge.
struct WebhookSettlementTests {
    func delivery(_ id: String, signedAt: String = "2025-02-28T00:01:00Z") -> WebhookDelivery {
        WebhookDelivery(provider: "stripe", eventID: id, eventType: "payment_intent.succeeded", signedAt: Fixtures.time(signedAt))
    }

    /// An open charge for `id`'s next period and the record a success makes of it.
    func openCharge(_ store: any BillingStore, _ id: String) async throws -> (Charge, RenewalRecord) {
        let subscription = Fixtures.subscription(id)
        try await store.saveSubscription(subscription.stored)
        try await store.claimFence(Fixtures.fence(1))
        let now = Fixtures.time("2025-02-28T00:00:00Z")
        let charge = try await store.beginCharge(Fixtures.intent(for: subscription), fence: Fixtures.fence(1), at: now)
        let row = try #require(try await store.subscription(id: id)).validated()
        let decision = RenewalDecision.decide(
            subscription: row, charge: charge, outcome: .succeeded(reference: "pi_\(id)"), now: now, dunning: .default, retryOpenAt: now)
        return (charge, try #require(decision.record))
    }

    @Test(arguments: StoreKind.available)
    func anEventSettlesAnOpenChargeOnceAndAReplayIsToldFromARetry(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let (_, record) = try await openCharge(store, "s")
            #expect(try await store.recordWebhook(delivery("evt_1"), settling: record) == .settled)
            let charge = try #require(try await store.charges(subscriptionID: "s").first)
            #expect(charge.status == .succeeded)
            #expect(charge.fencingToken == FencingToken(1), "the engine's token stays on the charge")
            let renewed = try #require(try await store.subscription(id: "s"))
            #expect(renewed.currentPeriodEnd == Fixtures.time("2025-03-31T00:00:00Z"))
            // The provider's retry of the event (signed anew), a replay of the same delivery, and
            // another event about the settled charge: nothing changes.
            #expect(try await store.recordWebhook(delivery("evt_1", signedAt: "2025-02-28T00:05:00Z"), settling: record) == .duplicate)
            #expect(try await store.recordWebhook(delivery("evt_1"), settling: record) == .replay)
            guard case .ignored = try await store.recordWebhook(delivery("evt_2"), settling: record) else {
                Issue.record("an event about a settled charge was applied")
                return
            }
            #expect(try await store.subscription(id: "s") == renewed)
        }
    }

    @Test(arguments: StoreKind.available)
    func aSubscriptionChangedSinceTheDecisionRollsTheDeliveryBack(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let (_, record) = try await openCharge(store, "s")
            _ = try await store.changeSubscription(id: "s", ifVersion: nil, .paymentMethod("pm_new"))
            let failure = await #expect(throws: BillingError.self) { try await store.recordWebhook(delivery("evt_1"), settling: record) }
            #expect(failure?.code == .concurrentModification)
            #expect(try await store.charges(subscriptionID: "s").first?.status == .pending, "nothing was written")
            // Decided again on the changed row, the same event applies (it was not recorded).
            let row = try #require(try await store.subscription(id: "s")).validated()
            let charge = try #require(try await store.charges(subscriptionID: "s").first)
            let now = Fixtures.time("2025-02-28T00:00:00Z")
            let again = RenewalDecision.decide(
                subscription: row, charge: charge, outcome: .succeeded(reference: "pi_s"), now: now, dunning: .default, retryOpenAt: now)
            #expect(try await store.recordWebhook(delivery("evt_1"), settling: again.record) == .settled)
            #expect(try await store.subscription(id: "s")?.paymentMethod == "pm_new")
        }
    }
}
