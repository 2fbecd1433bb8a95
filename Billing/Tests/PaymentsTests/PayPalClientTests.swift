import Foundation
import PaymentSandbox
import Payments
import Testing

@Suite("PayPal client against the sandbox")
struct PayPalClientTests {
    @Test("a vaulted source is captured at once; the retry is replayed; one charge")
    func captureAndReplay() async throws {
        try await withSandbox { server, url in
            let client = try payPalClient(url)
            let request = charge(amount: 1999, paymentMethod: TestScenario.succeeds.payPalVaultID)
            let first = try await client.charge(request)
            guard case .succeeded(let reference) = first else {
                Issue.record("expected success, got \(first)")
                return
            }
            #expect(try await client.charge(request) == .succeeded(reference: reference))
            let entries = server.ledger()
            #expect(entries.count == 1)
            #expect(entries.first?.provider == "paypal")
            #expect(entries.first?.amount == 1999)
            #expect(entries.first?.currency == "usd")
            #expect(entries.first?.customer == "cus_test")
            #expect(entries.first?.metadata["subscription_id"] == "sub_1")
            #expect(entries.first?.replays == 1)
        }
    }

    @Test("each PayPal test vault id gives its outcome", arguments: TestScenario.allCases)
    func scenario(_ scenario: TestScenario) async throws {
        try await withSandbox { _, url in
            let outcome = try await payPalClient(url).charge(charge(paymentMethod: scenario.payPalVaultID))
            switch (scenario, outcome) {
            case (.succeeds, .succeeded): break
            case (.genericDecline, .declined(let code, _, _, let hard, _)):
                #expect(code == "INSTRUMENT_DECLINED")
                #expect(!hard)
            case (.processingError, .declined(let code, _, _, let hard, _)):
                #expect(code == "TRANSACTION_REFUSED")
                #expect(!hard)
            case (.insufficientFunds, .declined(let code, let declineCode, _, let hard, _)):
                #expect(code == "DECLINED")
                #expect(declineCode == "5120")
                #expect(!hard)
            case (.expiredCard, .declined(_, let declineCode, _, let hard, _)):
                #expect(declineCode == "5400")
                #expect(hard)
            case (.lostCard, .declined(_, _, _, let hard, _)), (.stolenCard, .declined(_, _, _, let hard, _)),
                (.fraudulent, .declined(_, _, _, let hard, _)):
                #expect(hard)
            case (.processing, .processing(let reference)):
                #expect(!reference.isEmpty)
            case (.authenticationRequired, .requiresAction(let reference, let action)):
                #expect(!reference.isEmpty)
                #expect(action.url?.contains(reference) == true)
            default:
                Issue.record("\(scenario): unexpected outcome \(outcome)")
            }
        }
    }

    @Test("faults: lost → unknown then replay; 429 → rateLimited; in flight → conflict; other payload → conflict")
    func faults() async throws {
        try await withSandbox { server, url in
            let request = charge(paymentMethod: "vault_ok")
            let lost = try await payPalClient(url, fault: "lost").charge(request)
            guard case .unknown = lost else {
                Issue.record("expected unknown, got \(lost)")
                return
            }
            guard case .succeeded = try await payPalClient(url).charge(request) else {
                Issue.record("expected the saved success")
                return
            }
            #expect(server.ledger().map(\.count) == [1])

            #expect(try await payPalClient(url, fault: "429=2s").charge(charge()) == .rateLimited(retryAfter: .seconds(2)))

            var changed = request
            changed.amountMinor += 1
            let conflict = try await payPalClient(url).charge(changed)
            #expect(conflict.conflictMessage?.contains("PAYPAL_REQUEST_ID_PREVIOUSLY_USED") == true, "\(conflict)")

            let slowRequest = charge(paymentMethod: "vault_ok")
            let racingClient = try payPalClient(url)
            _ = try await racingClient.charge(charge(paymentMethod: "vault_ok"))  // fetches its token now
            let slowClient = try payPalClient(url, fault: "latency=2500ms")
            async let slow = slowClient.charge(slowRequest)
            try await Task.sleep(for: .milliseconds(800))
            let racing = try await racingClient.charge(slowRequest)
            #expect(racing.conflictMessage != nil, "\(racing)")
            guard case .succeeded = try await slow else {
                Issue.record("expected the slow request to succeed")
                return
            }
        }
    }

    @Test("a rejected token is replaced once; wrong client credentials throw authenticationFailed")
    func tokens() async throws {
        try await withSandbox(.init(payPalClients: ["sandbox-client": "sandbox-secret"])) { server, url in
            let client = try payPalClient(url)
            guard case .succeeded = try await client.charge(charge(paymentMethod: "vault_ok")) else {
                Issue.record("expected success")
                return
            }
            server.reset()  // forgets issued tokens: the cached one is now refused
            guard case .succeeded = try await client.charge(charge(paymentMethod: "vault_ok")) else {
                Issue.record("expected success with a fresh token")
                return
            }
            let wrong = try PayPalClient(
                configuration: .init(clientID: "sandbox-client", clientSecret: APISecret("nope"), baseURL: url),
                logger: quietLogger
            )
            do {
                _ = try await wrong.charge(charge(paymentMethod: "vault_ok"))
                Issue.record("expected an authentication error")
            } catch let error as PaymentError {
                #expect(error.code == .authenticationFailed)
                #expect(!error.description.contains("nope"))
            }
        }
    }
}
