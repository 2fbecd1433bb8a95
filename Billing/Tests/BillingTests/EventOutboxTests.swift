import Billing
import Foundation
import Payments
import Testing

/// The outbox on SQLite and PostgreSQL: every state change writes its event in its own
/// transaction (by trigger, whoever writes), and delivery reads each subscription's events in
/// order, one failing subscription holding up only itself.
@Suite("The event outbox")
struct EventOutboxTests {
    /// Renews `subscription` once through steps (a) and (c), as the engine does.
    static func renew(_ subscription: Subscription, _ store: any BillingStore, outcome: ChargeOutcome) async throws {
        let fence = Fixtures.fence(1)
        let now = subscription.currentPeriodEnd
        let charge = try await store.beginCharge(Fixtures.intent(for: subscription), fence: fence, at: now)
        let decision = RenewalDecision.decide(
            subscription: subscription, charge: charge, outcome: outcome, now: now, dunning: .default, retryOpenAt: now)
        try await store.recordRenewal(try #require(decision.record), fence: fence, at: now)
    }

    @Test(arguments: StoreKind.available)
    func changesWriteTheirEventsAndDeliveryKeepsEachSubscriptionsOrder(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            let paid = Fixtures.subscription("paid")
            let declined = Fixtures.subscription("declined")
            let canceled = Fixtures.subscription("canceled")
            for subscription in [paid, declined, canceled] { try await store.saveSubscription(subscription.stored) }
            #expect(try await store.events(after: nil, subscriptionID: nil, limit: 10).isEmpty, "creations are not events")
            try await Self.renew(paid, store, outcome: .succeeded(reference: "pi_paid"))
            try await Self.renew(
                declined, store,
                outcome: .declined(code: "card_declined", declineCode: "insufficient_funds", message: "", hard: false, reference: nil))
            _ = try await store.cancelSubscription(id: "canceled", atPeriodEnd: false)
            // A change that changes no state (a payment method) writes nothing.
            _ = try await store.changeSubscription(id: "paid", ifVersion: nil, .paymentMethod("pm_card_mastercard"))

            let events = try await store.events(after: nil, subscriptionID: nil, limit: 100)
            func types(_ id: String) -> [String] { events.filter { $0.subscriptionID == id }.map(\.type).sorted() }
            #expect(types("paid") == ["charge.succeeded", "subscription.renewed"])
            #expect(types("declined") == ["charge.failed", "subscription.past_due"])
            #expect(types("canceled") == ["subscription.canceled"])
            #expect(events.map(\.sequence) == events.map(\.sequence).sorted())
            let renewed = try #require(events.first { $0.type == "subscription.renewed" })
            let data = try #require(try JSONSerialization.jsonObject(with: Data(renewed.payload.utf8)) as? [String: Any])
            #expect(data["status"] as? String == "active")
            #expect((data["current_period_start_ms"] as? NSNumber)?.int64Value == paid.currentPeriodEnd.millisecondsSinceEpoch)
            #expect(try await store.outboxBacklog().undelivered == 5)

            // Delivery: everything due, in sequence order.
            let now = try await store.currentTime()
            let due = try await store.deliverableEvents(at: now, limit: 100)
            #expect(due.map(\.sequence) == events.map(\.sequence))
            // The paid subscription's first event fails: its second waits behind it; others go on.
            let blocked = try #require(due.first { $0.subscriptionID == "paid" })
            try await store.markEventFailed(blocked.sequence, error: "HTTP 503", retryAt: now + .seconds(3600))
            let next = try await store.deliverableEvents(at: now, limit: 100)
            #expect(!next.contains { $0.subscriptionID == "paid" }, "paid waits for its failed event, and its second behind it")
            #expect(next.count == 3)
            try await store.markEventsDelivered(next.map(\.sequence), at: now)
            let backlog = try await store.outboxBacklog()
            #expect(backlog.undelivered == 2 && backlog.failing == 1)
            // Once due again, the failed event comes first, with its id and the attempt counted, then the one behind it.
            let later = try await store.deliverableEvents(at: now + .seconds(3600), limit: 100)
            #expect(later.map(\.subscriptionID) == ["paid", "paid"])
            let retried = try #require(later.first)
            #expect(retried.id == blocked.id && retried.attempts == 1 && retried.lastError == "HTTP 503")
            try await store.markEventsDelivered(later.map(\.sequence), at: now)
            #expect(try await store.outboxBacklog() == OutboxBacklog(undelivered: 0, oldestUndeliveredAt: nil, failing: 0))

            // Replay: delivered events come again with the same ids, narrowed to one subscription.
            let first = try #require(events.first?.sequence)
            #expect(try await store.requeueEvents(from: first, through: .max, subscriptionID: "paid", at: now) == 2)
            let again = try await store.deliverableEvents(at: now, limit: 100)
            // Pruning deletes only what was delivered before the instant: the requeued events stay.
            #expect(try await store.pruneEvents(deliveredBefore: now + .seconds(1)) == 3)
            #expect(try await store.events(after: nil, subscriptionID: nil, limit: 100).map(\.subscriptionID) == ["paid", "paid"])
            #expect(again.map(\.id) == events.filter { $0.subscriptionID == "paid" }.map(\.id))
        }
    }
}
