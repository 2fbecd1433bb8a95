import Billing
import Foundation
import LeaderElection
import Logging
import Metrics
import Payments
import Synchronization
import Testing

@testable import BillingNode

/// The relay over a real SQLite store and a sender that records what it is given.
struct OutboxRelayTests {
    /// Records deliveries; fails the first `failures` attempts of one subscription's events.
    final class RecordingSender: EventSender {
        let failing: String
        let failures = Mutex(0)
        let deliveries = Mutex<[(id: String, subscription: String, type: String)]>([])
        let budget: Int

        init(failing: String, times: Int) {
            self.failing = failing
            self.budget = times
        }

        func send(_ event: BillingEvent) async throws {
            let fail = failures.withLock { count in
                guard event.subscriptionID == failing, count < budget else { return false }
                count += 1
                return true
            }
            if fail { throw EventDeliveryError(description: "injected: the endpoint answered HTTP 503") }
            deliveries.withLock { $0.append((event.id, event.subscriptionID, event.type)) }
        }
    }

    @Test func deliversEachSubscriptionInOrderRetryingFailuresWithTheSameID() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLiteBillingStore.open(
            path: directory.appendingPathComponent("b.sqlite").path, logger: Logger(label: "test"))
        let plan = try Plan(interval: .monthly, price: Money(minorUnits: 1999, currency: .usd))
        let anchor = try Timestamp(iso8601: "2025-01-31T00:00:00Z")
        let fence = Fence(election: "billing-renewals", token: FencingToken(1))
        try await store.claimFence(fence)
        for id in ["a", "b", "c"] {
            let subscription = Subscription(id: id, customer: "cus_\(id)", plan: plan, paymentMethod: "pm_card_visa", anchor: anchor)
            try await store.saveSubscription(subscription.stored)
            let start = subscription.currentPeriodEnd
            let charge = try await store.beginCharge(
                ChargeIntent(
                    subscriptionID: id, periodStart: start,
                    periodEnd: try BillingCalendar.periodEnd(startingAt: start, anchor: anchor, interval: .monthly),
                    idempotencyKey: "k-\(id)", amount: plan.price, customer: "cus_\(id)", paymentMethod: "pm_card_visa", attempt: 1),
                fence: fence, at: start)
            let decision = RenewalDecision.decide(
                subscription: subscription, charge: charge, outcome: .succeeded(reference: "pi_\(id)"), now: start, dunning: .default,
                retryOpenAt: start)
            try await store.recordRenewal(try #require(decision.record), fence: fence, at: start)
        }
        let sender = RecordingSender(failing: "b", times: 2)
        var configuration = OutboxRelay.Configuration()
        // No back-off: a failed event is due again in the next round.
        configuration.initialBackoff = .zero
        configuration.maximumBackoff = .zero
        let relay = OutboxRelay(
            store: store, sender: sender, configuration: configuration, metrics: OutboxMetrics(factory: NOOPMetricsHandler.instance),
            logger: Logger(label: "test"))

        // Rounds until everything is delivered (each round delivers one event per subscription at most).
        var rounds = 0
        while try await store.outboxBacklog().undelivered > 0 {
            rounds += 1
            try #require(rounds < 50, "the outbox did not drain")
            _ = try await relay.round()
        }
        let deliveries = sender.deliveries.withLock { $0 }
        let events = try await store.events(after: nil, subscriptionID: nil, limit: 100)
        #expect(deliveries.count == events.count, "each delivered once to a sender that accepted it")
        for id in ["a", "b", "c"] {
            let expected = events.filter { $0.subscriptionID == id }.map(\.id)
            #expect(deliveries.filter { $0.subscription == id }.map(\.id) == expected, "\(id)'s events in order")
        }
        let failed = try #require(events.first { $0.subscriptionID == "b" })
        #expect(failed.attempts == 2 && failed.deliveredAt != nil)
        try await store.close()
    }
}
