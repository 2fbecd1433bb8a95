import Foundation
import PaymentSandbox
import Payments
import Testing

@Suite("Sandbox idempotency over HTTP")
struct SandboxIdempotencyTests {
    @Test("the first answer to a key is replayed, marked Idempotent-Replayed, and charged once")
    func replaySuccess() async throws {
        try await withSandbox { server, url in
            let key = "replay-\(UUID().uuidString)"
            let first = try await send("POST", url + "/v1/payment_intents", headers: stripeHeaders(key: key), body: stripeForm())
            let second = try await send("POST", url + "/v1/payment_intents", headers: stripeHeaders(key: key), body: stripeForm())
            #expect(first.status == 200)
            #expect(first.headers["idempotent-replayed"] == nil)
            #expect(second.status == 200)
            #expect(second.headers["idempotent-replayed"] == "true")
            #expect(second.body == first.body)
            #expect(second.headers["original-request"] == first.headers["request-id"])
            #expect(first.json["status"] as? String == "succeeded")
            let entries = server.ledger().filter { $0.idempotencyKey == key }
            #expect(entries.count == 1)
            #expect(entries.first?.count == 1)
            #expect(entries.first?.replays == 1)
        }
    }

    @Test("a decline is saved and replayed too")
    func replayDecline() async throws {
        try await withSandbox { server, url in
            let key = "decline-\(UUID().uuidString)"
            let body = stripeForm(paymentMethod: "pm_card_chargeDeclinedInsufficientFunds")
            let first = try await send("POST", url + "/v1/payment_intents", headers: stripeHeaders(key: key), body: body)
            let second = try await send("POST", url + "/v1/payment_intents", headers: stripeHeaders(key: key), body: body)
            #expect(first.status == 402)
            #expect(second.status == 402)
            #expect(second.headers["idempotent-replayed"] == "true")
            #expect(second.body == first.body)
            let error = first.json["error"] as? [String: Any]
            #expect(error?["type"] as? String == "card_error")
            #expect(error?["decline_code"] as? String == "insufficient_funds")
            #expect(server.ledger().filter { $0.idempotencyKey == key }.map(\.count) == [1])
        }
    }

    @Test("the same key with other parameters is a 400 idempotency_error, and nothing is charged for it")
    func conflictingParameters() async throws {
        try await withSandbox { server, url in
            let key = "conflict-\(UUID().uuidString)"
            _ = try await send("POST", url + "/v1/payment_intents", headers: stripeHeaders(key: key), body: stripeForm(amount: 1000))
            let other = try await send(
                "POST", url + "/v1/payment_intents", headers: stripeHeaders(key: key), body: stripeForm(amount: 2000))
            #expect(other.status == 400)
            #expect((other.json["error"] as? [String: Any])?["type"] as? String == "idempotency_error")
            #expect(server.ledger().filter { $0.idempotencyKey == key }.map(\.amount) == [1000])

            let outcome = try await stripeClient(url).charge(charge(key: key, amount: 3000))
            guard case .idempotencyConflict(let message) = outcome else {
                Issue.record("expected an idempotency conflict, got \(outcome)")
                return
            }
            #expect(message.contains("idempotency_error"))
            #expect(server.statistics().idempotencyConflicts == 2)
        }
    }

    @Test("a request whose key is still in flight gets 409, then the key completes once")
    func inFlightConflict() async throws {
        try await withSandbox { server, url in
            let request = charge()
            // The key is claimed in the same step the request is counted, before its latency passes:
            // once the sandbox has counted it, the key is in flight for the next 5 s.
            let slowClient = try stripeClient(url, fault: "latency=5s")
            async let slow = slowClient.charge(request)
            let end = ContinuousClock.now + .seconds(30)
            while server.statistics().requests < 1, ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(5)) }
            let racing = try await send(
                "POST", url + "/v1/payment_intents", headers: stripeHeaders(key: request.idempotencyKey), body: stripeForm()
            )
            #expect(racing.status == 409)
            #expect(racing.headers["stripe-should-retry"] == "true")
            let outcome = try await stripeClient(url).charge(request)
            #expect(outcome.conflictMessage?.contains("idempotency_key_in_use") == true, "\(outcome)")
            let first = try await slow
            guard case .succeeded(let reference) = first else {
                Issue.record("expected the slow request to succeed, got \(first)")
                return
            }
            #expect(try await stripeClient(url).charge(request) == .succeeded(reference: reference))
            #expect(server.statistics().inFlightConflicts == 2)
            #expect(server.ledger().filter { $0.idempotencyKey == request.idempotencyKey }.map(\.count) == [1])
        }
    }

    @Test("requests without a key are each applied")
    func noKey() async throws {
        try await withSandbox { server, url in
            for _ in 0..<2 {
                let answer = try await send("POST", url + "/v1/payment_intents", headers: stripeHeaders(key: nil), body: stripeForm())
                #expect(answer.status == 200)
            }
            #expect(server.ledger().count == 2)
        }
    }

    @Test("a PaymentIntent can be read back; an unknown id is 404 resource_missing")
    func retrieve() async throws {
        try await withSandbox { _, url in
            let created = try await send(
                "POST", url + "/v1/payment_intents", headers: stripeHeaders(key: "get-\(UUID().uuidString)"), body: stripeForm())
            let id = try #require(created.json["id"] as? String)
            let read = try await send("GET", url + "/v1/payment_intents/" + id, headers: stripeHeaders(key: nil))
            #expect(read.status == 200)
            #expect(read.json["status"] as? String == "succeeded")
            #expect((read.json["metadata"] as? [String: String])?["subscription_id"] == "sub_raw")
            let missing = try await send("GET", url + "/v1/payment_intents/pi_nothing", headers: stripeHeaders(key: nil))
            #expect(missing.status == 404)

            let client = try stripeClient(url)
            #expect(try await client.retrievePaymentIntent(id: id) == .succeeded(reference: id))
            await #expect(throws: PaymentError.self) { try await client.retrievePaymentIntent(id: "pi_nothing") }
        }
    }

    @Test("no API key is a 401, which the client throws as authenticationFailed")
    func authentication() async throws {
        try await withSandbox(.init(stripeAPIKeys: ["sk_test_right"])) { _, url in
            let answer = try await send("POST", url + "/v1/payment_intents", headers: ["Idempotency-Key": "k"], body: stripeForm())
            #expect(answer.status == 401)
            let client = try StripeClient(configuration: .init(apiKey: APISecret("sk_test_wrong"), baseURL: url), logger: quietLogger)
            do {
                _ = try await client.charge(charge())
                Issue.record("expected an authentication error")
            } catch let error as PaymentError {
                #expect(error.code == .authenticationFailed)
                #expect(!error.description.contains("sk_test_wrong"))
            }
        }
    }

    @Test("the ledger endpoint reports each key with count, amount, currency, customer, status")
    func ledgerEndpoint() async throws {
        try await withSandbox { _, url in
            let client = try stripeClient(url)
            let key = "ledger-\(UUID().uuidString)"
            _ = try await client.charge(charge(key: key, amount: 4200, currency: "EUR"))
            _ = try await client.charge(charge(key: key, amount: 4200, currency: "EUR"))
            _ = try await client.charge(charge(paymentMethod: TestScenario.expiredCard.stripePaymentMethod))
            let answer = try await send("GET", url + "/sandbox/ledger")
            let summary = try #require(answer.json["summary"] as? [String: Any])
            #expect(summary["charges"] as? Int == 2)
            #expect(summary["succeeded"] as? Int == 1)
            #expect(summary["declined"] as? Int == 1)
            #expect(summary["keys_applied_more_than_once"] as? Int == 0)
            let one = try await send("GET", url + "/sandbox/ledger?key=" + key)
            let entries = try #require(one.json["entries"] as? [[String: Any]])
            #expect(entries.count == 1)
            #expect(entries.first?["count"] as? Int == 1)
            #expect(entries.first?["amount"] as? Int == 4200)
            #expect(entries.first?["currency"] as? String == "eur")
            #expect(entries.first?["customer"] as? String == "cus_test")
            #expect(entries.first?["status"] as? String == "succeeded")
            #expect(entries.first?["replays"] as? Int == 1)
        }
    }

    @Test("fault rates can be read and set through the admin endpoint; bad rates are refused")
    func faultAdmin() async throws {
        try await withSandbox { server, url in
            let set = try await send("PUT", url + "/sandbox/faults", body: #"{"lost_rate": 0.25, "latency_ms": 5, "seed": 9}"#)
            #expect(set.status == 200)
            #expect(server.faultRates.lostRate == 0.25)
            #expect(server.faultRates.latency == .milliseconds(5))
            let bad = try await send("PUT", url + "/sandbox/faults", body: #"{"lost_rate": 0.8, "server_error_rate": 0.8}"#)
            #expect(bad.status == 400)
            #expect(server.faultRates.lostRate == 0.25)
            let reset = try await send("POST", url + "/sandbox/reset")
            #expect(reset.status == 200)
        }
    }
}

extension ChargeOutcome {
    /// The message of an idempotency conflict, for comparisons.
    var conflictMessage: String? {
        if case .idempotencyConflict(let message) = self { return message }
        return nil
    }
}
