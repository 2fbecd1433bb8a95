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
            default:
                Issue.record("\(scenario): unexpected outcome \(outcome)")
            }
            let entry = try #require(server.ledger().first)
            #expect(entry.status == (scenario == .succeeds ? "succeeded" : "declined"))
            #expect(entry.paymentMethod == scenario.stripePaymentMethod)
        }
    }
}
