import Foundation
import PaymentSandbox
import Payments
import Testing

/// The hazard the lookups exist for, as the sandbox models it: a provider forgets an idempotency
/// key after its retention, and a request that reuses the key then charges a second time.
@Suite("Sandbox key retention and clock")
struct SandboxKeyRetentionTests {
    @Test("Stripe: a key replayed within 24 h is charged once; past 24 h on the sandbox clock it charges again")
    func stripeKeyIsForgotten() async throws {
        try await withSandbox { server, url in
            let client = try stripeClient(url)
            let request = engineCharge()
            guard case .succeeded(let first) = try await client.charge(request) else {
                Issue.record("the first charge did not succeed")
                return
            }
            try await advanceSandboxClock(url, by: .seconds(23 * 3600))
            #expect(try await client.charge(request) == .succeeded(reference: first), "replayed inside the retention")
            #expect(server.ledger().filter { $0.idempotencyKey == request.idempotencyKey }.count == 1)

            try await advanceSandboxClock(url, by: .seconds(3600))
            guard case .succeeded(let second) = try await client.charge(request) else {
                Issue.record("the charge after the retention did not succeed")
                return
            }
            #expect(second != first, "a forgotten key is processed as a new request")
            let entries = server.ledger().filter { $0.idempotencyKey == request.idempotencyKey }
            #expect(entries.map(\.reference) == [first, second])
            #expect(entries.allSatisfy { $0.count == 1 && $0.status == "succeeded" })
            #expect(LedgerSummary(entries: server.ledger()).keysAppliedMoreThanOnce == 1)
            #expect(server.statistics().keysForgotten == 1)
            // The second application is remembered in turn: a retry now replays it.
            #expect(try await client.charge(request) == .succeeded(reference: second))

            let ledger = try await send(
                "GET", url + "/sandbox/ledger?key=" + request.idempotencyKey.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            let summary = try #require(ledger.json["summary"] as? [String: Any])
            #expect(summary["charges"] as? Int == 2)
            #expect(summary["keys_applied_more_than_once"] as? Int == 1)
        }
    }

    @Test("PayPal: a request id is kept 6 h; past it the same key captures again")
    func payPalRequestIDIsForgotten() async throws {
        try await withSandbox { server, url in
            let client = try payPalClient(url)
            let request = engineCharge(paymentMethod: TestScenario.succeeds.payPalVaultID)
            guard case .succeeded(let first) = try await client.charge(request) else {
                Issue.record("the first capture did not succeed")
                return
            }
            try await advanceSandboxClock(url, by: .seconds(5 * 3600))
            #expect(try await client.charge(request) == .succeeded(reference: first))
            try await advanceSandboxClock(url, by: .seconds(3600))
            guard case .succeeded(let second) = try await client.charge(request) else {
                Issue.record("the capture after the retention did not succeed")
                return
            }
            #expect(second != first)
            #expect(server.ledger().filter { $0.idempotencyKey == request.idempotencyKey }.count == 2)
        }
    }

    @Test("the retention is configurable and validated; the clock never goes back")
    func configurableRetention() async throws {
        try await withSandbox(.init(idempotencyKeyRetention: .seconds(3600))) { server, url in
            let client = try stripeClient(url)
            let request = engineCharge()
            _ = try await client.charge(request)
            // Ten minutes short of the retention: real time would have to pass that long to matter.
            try server.advanceClock(by: .seconds(3000))
            _ = try await client.charge(request)
            #expect(server.ledger().count == 1)
            try server.advanceClock(by: .seconds(600))
            _ = try await client.charge(request)
            #expect(server.ledger().count == 2)
            #expect(throws: PaymentSandboxError.self) { try server.advanceClock(by: .seconds(-1)) }
        }
        #expect(throws: PaymentSandboxError.self) {
            _ = try PaymentSandboxServer(configuration: .init(payPalRequestIDRetention: .zero), logger: quietLogger)
        }
    }

    @Test("the clock's admin endpoints: advance, read, stats, reset")
    func clockEndpoints() async throws {
        try await withSandbox { server, url in
            let initial = try await send("GET", url + "/sandbox/clock")
            #expect(initial.status == 200)
            #expect(initial.json["offset_seconds"] as? Double == 0)
            #expect(initial.json["stripe_key_retention_seconds"] as? Double == 86_400)
            #expect(initial.json["paypal_request_id_retention_seconds"] as? Double == 21_600)

            let advanced = try await send("POST", url + "/sandbox/clock/advance", body: #"{"seconds": 90.5}"#)
            #expect(advanced.status == 200)
            #expect(advanced.json["offset_seconds"] as? Double == 90.5)
            #expect(server.clockOffset == .milliseconds(90_500))
            let stats = try await send("GET", url + "/sandbox/stats")
            #expect(stats.json["clock_offset_seconds"] as? Double == 90.5)
            #expect(stats.json["keys_forgotten"] as? Int == 0)
            #expect(stats.json["requests"] as? Int == 0)

            for body in [#"{"seconds": -1}"#, #"{"minutes": 3}"#, "soon"] {
                let refused = try await send("POST", url + "/sandbox/clock/advance", body: body)
                #expect(refused.status == 400, "\(body)")
            }
            #expect(server.clockOffset == .milliseconds(90_500))
            _ = try await send("POST", url + "/sandbox/reset")
            #expect(server.clockOffset == .zero)
        }
    }

    @Test("PayPal access tokens expire on the sandbox clock; the client fetches a new one")
    func tokensExpireOnTheSandboxClock() async throws {
        try await withSandbox { server, url in
            let client = try payPalClient(url)
            guard case .succeeded = try await client.charge(engineCharge(paymentMethod: "vault_ok")) else {
                Issue.record("expected success")
                return
            }
            try server.advanceClock(by: .seconds(10 * 3600))  // past the 9-hour token lifetime
            guard case .succeeded = try await client.charge(engineCharge(paymentMethod: "vault_ok")) else {
                Issue.record("expected success with a fresh token")
                return
            }
            #expect(server.ledger().count == 2)
        }
    }
}
