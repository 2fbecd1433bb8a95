import PaymentSandbox
import Payments
import Testing

@Suite("Test payment methods through the Stripe client")
struct TestPaymentMethodTests {
    @Test("each Stripe test payment method gives its outcome", arguments: TestScenario.allCases)
    func scenario(_ scenario: TestScenario) async throws {
        try await withSandbox { server, url in
            let outcome = try await stripeClient(url).charge(charge(paymentMethod: scenario.stripePaymentMethod))
            switch (scenario, outcome) {
            case (.succeeds, .succeeded(let reference)):
                #expect(reference.hasPrefix("pi_"))
            case (.genericDecline, .declined(let code, let declineCode, _, let hard, let reference)):
                #expect(code == "card_declined")
                #expect(declineCode == "generic_decline")
                #expect(!hard)
                #expect(reference?.hasPrefix("pi_") == true)
            case (.insufficientFunds, .declined(let code, let declineCode, let message, let hard, _)):
                #expect(code == "card_declined")
                #expect(declineCode == "insufficient_funds")
                #expect(message.contains("insufficient funds"))
                #expect(!hard)
            case (.expiredCard, .declined(let code, let declineCode, _, let hard, _)):
                #expect(code == "expired_card")
                #expect(declineCode == "expired_card")
                #expect(hard)
            case (.processingError, .retryable(let message)):
                #expect(message.contains("processing_error"))
            case (.lostCard, .declined(_, let declineCode, _, let hard, _)):
                #expect(declineCode == "lost_card")
                #expect(hard)
            case (.stolenCard, .declined(_, let declineCode, _, let hard, _)):
                #expect(declineCode == "stolen_card")
                #expect(hard)
            case (.fraudulent, .declined(_, let declineCode, _, let hard, _)):
                #expect(declineCode == "fraudulent")
                #expect(hard)
            case (.authenticationRequired, .requiresAction(let reference, let action)):
                // Off-session: a 402 authentication_required whose PaymentIntent the customer can complete.
                #expect(reference.hasPrefix("pi_"))
                #expect(action.clientSecret?.hasPrefix(reference + "_secret_") == true)
            case (.processing, .processing(let reference)):
                #expect(reference.hasPrefix("pi_"))
            default:
                Issue.record("\(scenario): unexpected outcome \(outcome)")
            }
            let entry = try #require(server.ledger().first)
            let expected =
                switch scenario {
                case .succeeds: "succeeded"
                case .authenticationRequired: "requires_action"
                case .processing: "processing"
                default: "declined"
                }
            #expect(entry.status == expected)
            #expect(entry.paymentMethod == scenario.stripePaymentMethod)
        }
    }

    @Test("the customer completes an authentication, the bank settles a debit; each only from the state that waits for it")
    func completions() async throws {
        // Distinct metadata per charge, so that each lookup finds its own.
        func charge(paymentMethod: String, key: String) -> ChargeRequest {
            ChargeRequest(
                idempotencyKey: key, amountMinor: 1999, currency: "USD", customer: "cus_test", paymentMethod: paymentMethod,
                metadata: ["subscription_id": key, "period_start": "2026-01-01"])
        }
        try await withSandbox { server, url in
            let client = try stripeClient(url)
            guard
                case .requiresAction(let authenticated, _) = try await client.charge(
                    charge(paymentMethod: TestScenario.authenticationRequired.stripePaymentMethod, key: "k-auth")),
                case .requiresAction(let abandoned, _) = try await client.charge(
                    charge(paymentMethod: TestScenario.authenticationRequired.stripePaymentMethod, key: "k-abandoned")),
                case .processing(let settled) = try await client.charge(
                    charge(paymentMethod: TestScenario.processing.stripePaymentMethod, key: "k-debit")),
                case .processing(let returned) = try await client.charge(
                    charge(paymentMethod: TestScenario.processing.stripePaymentMethod, key: "k-returned"))
            else {
                Issue.record("the test payment methods did not wait")
                return
            }
            // A debit is not authenticated, and a card waiting for its customer is not settled.
            #expect(throws: PaymentSandboxError.self) {
                try server.complete(paymentIntent: settled, step: .authentication, succeeded: true)
            }
            #expect(throws: PaymentSandboxError.self) {
                try server.complete(paymentIntent: authenticated, step: .settlement, succeeded: true)
            }
            try server.complete(paymentIntent: authenticated, step: .authentication, succeeded: true)
            try server.complete(paymentIntent: abandoned, step: .authentication, succeeded: false)
            try server.complete(paymentIntent: settled, step: .settlement, succeeded: true)
            try server.complete(paymentIntent: returned, step: .settlement, succeeded: false)
            // Done once: a second completion is refused.
            #expect(throws: PaymentSandboxError.self) { try server.complete(paymentIntent: settled, step: .settlement, succeeded: true) }

            // The lookup sees what the customer and the bank did; the ledger too.
            let statuses = Dictionary(uniqueKeysWithValues: server.ledger().map { ($0.reference, $0.status) })
            #expect(statuses == [authenticated: "succeeded", abandoned: "declined", settled: "succeeded", returned: "declined"])
            let found = try await client.lookUpCharge(charge(paymentMethod: TestScenario.processing.stripePaymentMethod, key: "k-debit"))
            #expect(found == .found(.succeeded(reference: settled)))
            guard
                case .found(.declined(let code, _, _, _, _)) = try await client.lookUpCharge(
                    charge(paymentMethod: TestScenario.authenticationRequired.stripePaymentMethod, key: "k-abandoned"))
            else {
                Issue.record("an abandoned authentication must be a decline")
                return
            }
            #expect(code == "payment_intent_authentication_failure")
        }
    }
}
