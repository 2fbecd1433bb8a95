import Billing
import Foundation
import LeaderElection
import Logging
import Metrics
import Payments
import Testing

@testable import BillingNode

/// `POST /webhooks/stripe`'s logic over a real SQLite store: verified, applied once, only to the
/// open charge it names.
struct StripeWebhookReceiverTests {
    let secret = "whsec_receiver_test"
    let now: Int64 = 1_740_700_860  // 2025-02-28T00:01:00Z

    func event(_ id: String, status: String = "succeeded", attempt: Int = 1) -> [UInt8] {
        Array(
            """
            {"id":"\(id)","object":"event","type":"payment_intent.\(status)","data":{"object":{"id":"pi_1","object":"payment_intent",\
            "status":"\(status)","metadata":{"subscription_id":"s","period_start":"2025-02-28T00:00:00.000Z","attempt":"\(attempt)"}}}}
            """.utf8)
    }

    func signed(_ payload: [UInt8], at time: Int64? = nil, secret: String? = nil) -> String {
        StripeWebhook.signatureHeader(payload: payload, secret: secret ?? self.secret, timestamp: time ?? now)
    }

    @Test func deliveriesAreVerifiedAndAppliedOnceToTheOpenChargeTheyName() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLiteBillingStore.open(
            path: directory.appendingPathComponent("b.sqlite").path, logger: Logger(label: "test"))
        let plan = try Plan(interval: .monthly, price: Money(minorUnits: 1999, currency: .usd))
        let subscription = Subscription(
            id: "s", customer: "cus_s", plan: plan, paymentMethod: "pm_card_visa", anchor: try Timestamp(iso8601: "2025-01-31T00:00:00Z"))
        try await store.saveSubscription(subscription.stored)
        let fence = Fence(election: "billing-renewals", token: FencingToken(1))
        try await store.claimFence(fence)
        let periodStart = subscription.currentPeriodEnd
        _ = try await store.beginCharge(
            ChargeIntent(
                subscriptionID: "s", periodStart: periodStart, periodEnd: try Timestamp(iso8601: "2025-03-31T00:00:00Z"),
                idempotencyKey: Subscription.idempotencyKey(subscriptionID: "s", periodStart: periodStart, attempt: 1),
                amount: plan.price, customer: "cus_s", paymentMethod: "pm_card_visa", attempt: 1),
            fence: fence, at: periodStart)
        let settler = WebhookSettler(
            store: store, dunning: .default, settlementLookupInterval: .seconds(3600), logger: Logger(label: "test"),
            metrics: NOOPMetricsHandler.instance)
        let receiver = StripeWebhookReceiver(settler: settler, secrets: [secret], now: { [now] in now })

        // Refused before anything is read: a wrong secret, an old signature, no signature.
        let payload = event("evt_1")
        #expect(await receiver.receive(payload: payload, signature: signed(payload, secret: "whsec_other")).status == 400)
        #expect(await receiver.receive(payload: payload, signature: signed(payload, at: now - 301)).status == 400)
        #expect(await receiver.receive(payload: payload, signature: nil).status == 400)
        #expect(try await store.charges(subscriptionID: "s").first?.status == .pending)

        // Not final: marks the open charge as settling at the provider, once; a later event that
        // is not final either changes nothing; one about another attempt neither.
        let processing = event("evt_0", status: "processing")
        #expect(await receiver.receive(payload: processing, signature: signed(processing)).outcome == "marked")
        let marked = try #require(try await store.charges(subscriptionID: "s").first)
        #expect(marked.status == .pending && marked.failureCode == Charge.processingCode && marked.providerReference == "pi_1")
        let action = event("evt_01", status: "requires_action")
        #expect(await receiver.receive(payload: action, signature: signed(action)).outcome == "ignored")
        let otherAttempt = event("evt_9", attempt: 2)
        #expect(await receiver.receive(payload: otherAttempt, signature: signed(otherAttempt)).outcome == "ignored")
        #expect(try await store.charges(subscriptionID: "s").first?.failureCode == Charge.processingCode)
        #expect(try await store.subscription(id: "s")?.status == "active")

        // The success settles the charge and renews the subscription, once.
        let header = signed(payload)
        #expect(
            await receiver.receive(payload: payload, signature: header)
                == .init(status: 200, outcome: "settled", detail: "event evt_1 (payment_intent.succeeded)"))
        let charge = try #require(try await store.charges(subscriptionID: "s").first)
        #expect(charge.status == .succeeded)
        #expect(charge.providerReference == "pi_1")
        #expect(try await store.subscription(id: "s")?.currentPeriodEnd == (try Timestamp(iso8601: "2025-03-31T00:00:00Z")))
        #expect(await receiver.receive(payload: payload, signature: header).status == 409, "a replayed delivery is refused")
        #expect(await receiver.receive(payload: payload, signature: signed(payload, at: now + 5)).outcome == "duplicate")
        // A failure reported later for the settled charge changes nothing.
        let late = event("evt_2", status: "requires_payment_method")
        #expect(await receiver.receive(payload: late, signature: signed(late)).outcome == "ignored")
        #expect(try await store.charges(subscriptionID: "s").first?.status == .succeeded)
        try await store.close()
    }
}
