import Billing
import Foundation
import PaymentSandbox
import Payments
import Testing

/// Charges that do not settle in the provider's first answer, over real HTTP against the sandbox,
/// on SQLite and PostgreSQL: a bank debit that stays processing and a card that needs its
/// customer to authenticate. Neither is failed, retried or sent again; the lookup settles each
/// once the bank or the customer has acted, and the outbox records every step in its
/// transaction.
@Suite("Asynchronous and SCA outcomes end to end", .timeLimit(.minutes(5)))
struct AsynchronousOutcomeTests {
    @Test(arguments: StoreKind.available)
    func processingAndAuthenticationWaitForTheProviderThenSettleOnce(_ kind: StoreKind) async throws {
        try await withTestStore(kind) { store in
            try await SandboxHarness.with { sandbox in
                var debit = Fixtures.subscription("debit")
                debit.paymentMethod = TestScenario.processing.stripePaymentMethod
                var card = Fixtures.subscription("card")
                card.paymentMethod = TestScenario.authenticationRequired.stripePaymentMethod
                let plain = Fixtures.subscription("plain")
                for subscription in [debit, card, plain] { try await store.saveSubscription(subscription.stored) }
                let billingClock = ManualBillingClock(card.currentPeriodEnd)
                var configuration = EndToEndRenewalTests.configuration
                configuration.settlementLookupInterval = .seconds(600)
                let engine = try RenewalEngine(
                    store: store, provider: try sandbox.stripeClient(), billingClock: billingClock, configuration: configuration,
                    logger: testLogger)
                let fence = Fixtures.fence(1)

                let first = try await engine.runPass(fence: fence)
                #expect(first.charged == 1 && first.settlingAtProvider == 1 && first.actionRequired == 1, "\(first)")
                let debitCharge = try #require(try await store.charges(subscriptionID: "debit").first)
                #expect(debitCharge.status == .pending && debitCharge.failureCode == Charge.processingCode)
                #expect(try await store.subscription(id: "debit")?.status == "active")
                let cardCharge = try #require(try await store.charges(subscriptionID: "card").first)
                #expect(cardCharge.status == .pending && cardCharge.failureCode == Charge.actionRequiredCode)
                let intent = try #require(cardCharge.providerReference)
                #expect(cardCharge.customerAction?.clientSecret?.hasPrefix(intent + "_secret_") == true)
                let waiting = try #require(try await store.subscription(id: "card"))
                #expect(waiting.status == SubscriptionStatus.actionRequired.rawValue)
                #expect(waiting.nextDueAt == nil)

                // Passes before the lookup time send nothing: no blind retry, no second request.
                for _ in 0..<5 {
                    billingClock.advance(by: .seconds(60))
                    _ = try await engine.runPass(fence: fence)
                }
                #expect(sandbox.server.ledger().map(\.count) == [1, 1, 1])
                #expect(sandbox.server.ledger().map(\.replays) == [0, 0, 0])

                // The customer authenticates; the bank returns the debit. The next lookup settles both.
                try sandbox.server.complete(paymentIntent: intent, step: .authentication, succeeded: true)
                try sandbox.server.complete(
                    paymentIntent: try #require(debitCharge.providerReference), step: .settlement, succeeded: false)
                billingClock.advance(by: .seconds(301))
                let settled = try await engine.runPass(fence: fence)
                #expect(settled.reconciled == 2, "\(settled)")
                #expect(try await store.charges(subscriptionID: "card").first?.status == .succeeded)
                let renewed = try #require(try await store.subscription(id: "card"))
                #expect(renewed.status == "active" && renewed.currentPeriodStart == card.currentPeriodEnd)
                #expect(try await store.charges(subscriptionID: "debit").first?.status == .failed)
                #expect(try await store.subscription(id: "debit")?.status == "past_due")
                #expect(sandbox.server.ledger().map(\.count) == [1, 1, 1], "each charged once")
                #expect(try await sandbox.audit(store).doubleCharges.isEmpty)

                // The outbox: every step, in order per subscription, with what brings the customer back.
                let events = try await store.events(after: nil, subscriptionID: nil, limit: 100)
                func types(_ id: String) -> [String] { events.filter { $0.subscriptionID == id }.map(\.type) }
                #expect(types("plain").sorted() == ["charge.succeeded", "subscription.renewed"])
                #expect(types("card").first == "subscription.action_required")
                #expect(types("card").dropFirst().sorted() == ["charge.succeeded", "subscription.renewed"])
                #expect(types("debit").sorted() == ["charge.failed", "subscription.past_due"])
                let required = try #require(events.first { $0.type == "subscription.action_required" })
                let payload = try #require(try JSONSerialization.jsonObject(with: Data(required.payload.utf8)) as? [String: Any])
                #expect(payload["provider_reference"] as? String == intent)
                let action = try #require(payload["customer_action"] as? [String: Any])
                #expect((action["client_secret"] as? String)?.hasPrefix(intent) == true)
                #expect(payload["status"] as? String == "action_required")
            }
        }
    }
}
