import Foundation
import PaymentSandbox
import Testing

@testable import Payments

@Suite("Stripe charge lookup (Search API) against the sandbox")
struct StripeLookupTests {
    @Test("a succeeded charge is found with its PaymentIntent id, after its key was forgotten too")
    func findsSucceeded() async throws {
        try await withSandbox { _, url in
            let client = try stripeClient(url)
            let request = engineCharge()
            guard case .succeeded(let reference) = try await client.charge(request) else {
                Issue.record("the charge did not succeed")
                return
            }
            #expect(try await client.lookUpCharge(request) == .found(.succeeded(reference: reference)))
            try await advanceSandboxClock(url, by: .seconds(25 * 3600))
            #expect(try await client.lookUpCharge(request) == .found(.succeeded(reference: reference)), "objects outlive their keys")
        }
    }

    @Test("a declined charge is found as declined, hard or soft per the decline-code table")
    func findsDeclined() async throws {
        try await withSandbox { _, url in
            let client = try stripeClient(url)
            for (scenario, expectedDeclineCode, hard) in [
                (TestScenario.insufficientFunds, "insufficient_funds", false), (.stolenCard, "stolen_card", true),
            ] {
                let request = engineCharge(paymentMethod: scenario.stripePaymentMethod)
                guard case .declined(_, _, _, _, let reference?) = try await client.charge(request) else {
                    Issue.record("\(scenario): the charge was not declined with a reference")
                    continue
                }
                guard case .found(.declined(let code, let declineCode, _, let isHard, let found)) = try await client.lookUpCharge(request)
                else {
                    Issue.record("\(scenario): the lookup did not find a decline")
                    continue
                }
                #expect(code == "card_declined")
                #expect(declineCode == expectedDeclineCode)
                #expect(isHard == hard, "\(scenario)")
                #expect(found == reference)
            }
        }
    }

    @Test("a key never sent is notFound; one sent by someone else is not this key's charge")
    func notFound() async throws {
        try await withSandbox { _, url in
            let client = try stripeClient(url)
            _ = try await client.charge(engineCharge(key: "renewal:other:2026-01-01"))
            #expect(try await client.lookUpCharge(engineCharge(key: "renewal:other:2026-01")) == .notFound)
            #expect(try await client.lookUpCharge(engineCharge()) == .notFound)
        }
    }

    @Test("two PaymentIntents with the same key (the forgotten-key double charge) are ambiguous, naming both")
    func ambiguousAfterDoubleCharge() async throws {
        try await withSandbox { server, url in
            let client = try stripeClient(url)
            let request = engineCharge()
            guard case .succeeded(let first) = try await client.charge(request) else {
                Issue.record("the first charge did not succeed")
                return
            }
            try await advanceSandboxClock(url, by: .seconds(24 * 3600 + 1))
            guard case .succeeded(let second) = try await client.charge(request) else {
                Issue.record("the second charge did not succeed")
                return
            }
            #expect(server.ledger().filter { $0.idempotencyKey == request.idempotencyKey }.count == 2)
            let message = try #require(try await client.lookUpCharge(request).ambiguity)
            #expect(message.contains(first) && message.contains(second), "\(message)")
        }
    }

    @Test("an intent with the key but another amount, currency or customer is ambiguous")
    func mismatchIsAmbiguous() async throws {
        try await withSandbox { _, url in
            let client = try stripeClient(url)
            let request = engineCharge(amount: 1999)
            _ = try await client.charge(request)
            var other = request
            other.amountMinor = 2999
            #expect(try await client.lookUpCharge(other).ambiguity?.contains("amount 1999 instead of 2999") == true)
            other = request
            other.currency = "EUR"
            #expect(try await client.lookUpCharge(other).ambiguity?.contains("currency usd instead of eur") == true)
            other = request
            other.customer = "cus_else"
            #expect(try await client.lookUpCharge(other).ambiguity?.contains("customer cus_test instead of cus_else") == true)
        }
    }

    @Test("a key with quotes is searched for exactly; a backslash or missing metadata cannot be searched")
    func queryEscaping() async throws {
        try await withSandbox { _, url in
            let client = try stripeClient(url)
            let quoted = engineCharge(key: #"renewal:o'brien:"2026""#)
            guard case .succeeded(let reference) = try await client.charge(quoted) else {
                Issue.record("the charge did not succeed")
                return
            }
            #expect(
                try StripeClient.searchQuery(for: quoted) == """
                    metadata['attempt']:'1' AND metadata['idempotency_key']:'renewal:o\\'brien:"2026"' AND \
                    metadata['period_start']:'\(quoted.metadata["period_start"] ?? "")' AND metadata['subscription_id']:'sub_1'
                    """)
            #expect(try await client.lookUpCharge(quoted) == .found(.succeeded(reference: reference)))
            #expect(try await client.lookUpCharge(engineCharge(key: "renewal:o'brien")) == .notFound)

            var bare = charge()
            bare.metadata = [:]
            for request in [engineCharge(key: #"renewal:back\slash"#), bare] {
                do {
                    _ = try await client.lookUpCharge(request)
                    Issue.record("expected lookupUnsupported for \(request.idempotencyKey)")
                } catch let error as PaymentError {
                    #expect(error.code == .lookupUnsupported)
                }
            }
        }
    }

    @Test("not reached, 500, 429, a lost or mangled answer: unavailable", arguments: ["500", "429", "lost", "garbage", "unreachable"])
    func unavailable(fault: String) async throws {
        try await withSandbox { _, url in
            let client =
                try fault == "unreachable"
                ? stripeClient("http://127.0.0.1:1", timeout: .seconds(2))
                : stripeClient(url, fault: fault, timeout: .seconds(5))
            let result = try await client.lookUpCharge(engineCharge())
            #expect(result.isUnavailable, "\(fault): \(result)")
        }
    }

    @Test("401 throws authenticationFailed; 403 permissionDenied; other 4xx invalidRequest")
    func refusals() async throws {
        try await withSandbox(.init(stripeAPIKeys: ["sk_test_right"])) { _, url in
            let client = try StripeClient(configuration: .init(apiKey: APISecret("sk_test_wrong"), baseURL: url), logger: quietLogger)
            do {
                _ = try await client.lookUpCharge(engineCharge())
                Issue.record("expected an authentication error")
            } catch let error as PaymentError {
                #expect(error.code == .authenticationFailed)
            }
        }
        let request = engineCharge()
        for (status, code) in [(403, PaymentError.Code.permissionDenied), (400, .invalidRequest), (404, .invalidRequest)] {
            let body = #"{"error":{"type":"invalid_request_error","message":"no"}}"#
            do {
                _ = try StripeClient.lookupResult(for: request, status: status, body: Array(body.utf8))
                Issue.record("HTTP \(status) did not throw")
            } catch let error as PaymentError {
                #expect(error.code == code, "HTTP \(status)")
            }
        }
        #expect(try StripeClient.lookupResult(for: request, status: 503, body: []).isUnavailable)
        #expect(try StripeClient.lookupResult(for: request, status: 200, body: Array(#"{"object":"list","data":[]}"#.utf8)).isUnavailable)
    }

    @Test("an answered intent whose metadata differs in one of the request's entries is not this charge")
    func looserMatchesIgnored() throws {
        let request = engineCharge(key: "k", amount: 1999)
        func intent(_ id: String, attempt: String?) throws -> String {
            var metadata = "null"
            if let attempt {
                var entries = request.metadata
                entries["attempt"] = attempt
                metadata = String(decoding: try JSONSerialization.data(withJSONObject: entries), as: UTF8.self)
            }
            return
                #"{"id":"\#(id)","object":"payment_intent","status":"succeeded","amount":1999,"currency":"usd","customer":"cus_test","metadata":\#(metadata)}"#
        }
        func result(_ intents: String...) throws -> ChargeLookupResult {
            try StripeClient.lookupResult(
                for: request, status: 200,
                body: Array(#"{"object":"search_result","has_more":false,"data":[\#(intents.joined(separator: ","))]}"#.utf8))
        }
        #expect(try result(try intent("pi_1", attempt: "1"), try intent("pi_2", attempt: "2")) == .found(.succeeded(reference: "pi_1")))
        #expect(try result(try intent("pi_2", attempt: "2")) == .notFound)
        #expect(try result(try intent("pi_1", attempt: "1"), try intent("pi_3", attempt: nil)).ambiguity?.contains("pi_1, pi_3") == true)
    }

    @Test("status table: processing and requires_action wait, other unsettled states are unknown, canceled is a decline")
    func statusTable() throws {
        func intent(_ status: String, error: String? = nil) -> StripeWire.PaymentIntent {
            StripeWire.PaymentIntent(
                id: "pi_1", object: "payment_intent", status: status, amount: 1999, currency: "usd", customer: "cus_test",
                metadata: nil,
                lastPaymentError: error.map {
                    StripeWire.ErrorDetail(type: "card_error", code: "card_declined", declineCode: $0, message: "no")
                }
            )
        }
        #expect(StripeClient.lookupOutcome(of: intent("processing")) == .processing(reference: "pi_1"))
        #expect(StripeClient.lookupOutcome(of: intent("requires_action")) == .requiresAction(reference: "pi_1", action: CustomerAction()))
        for status in ["requires_confirmation", "requires_capture", "requires_payment_method"] {
            guard case .unknown = StripeClient.lookupOutcome(of: intent(status)) else {
                Issue.record("\(status) must be unknown")
                continue
            }
        }
        #expect(
            StripeClient.lookupOutcome(of: intent("requires_payment_method", error: "expired_card"))
                == .declined(code: "card_declined", declineCode: "expired_card", message: "no", hard: true, reference: "pi_1"))
        guard case .declined(_, _, _, false, "pi_1") = StripeClient.lookupOutcome(of: intent("canceled")) else {
            Issue.record("canceled must be a soft decline")
            return
        }
    }

    @Test("the sandbox's search: search_result shape, AND, limit and paging, unsupported queries refused")
    func sandboxSearch() async throws {
        try await withSandbox { _, url in
            let client = try stripeClient(url)
            for index in 0..<3 { _ = try await client.charge(engineCharge(key: "search-\(index)", amount: 1000 + Int64(index))) }
            func search(_ query: String, _ extra: String = "") async throws -> RawResponse {
                let escaped = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                return try await send("GET", url + "/v1/payment_intents/search?query=" + escaped + extra, headers: stripeHeaders(key: nil))
            }
            let one = try await search("metadata['idempotency_key']:'search-1'")
            #expect(one.status == 200)
            #expect(one.json["object"] as? String == "search_result")
            #expect(one.json["has_more"] as? Bool == false)
            #expect((one.json["data"] as? [[String: Any]])?.map { $0["amount"] as? Int } == [1001])

            let all = try await search(#"metadata["subscription_id"]:"sub_1" AND status:'succeeded'"#, "&limit=2")
            #expect((all.json["data"] as? [[String: Any]])?.map { $0["amount"] as? Int } == [1002, 1001], "newest first")
            let next = try #require(all.json["next_page"] as? String)
            let rest = try await search(#"metadata["subscription_id"]:"sub_1""#, "&limit=2&page=" + next)
            #expect((rest.json["data"] as? [[String: Any]])?.map { $0["amount"] as? Int } == [1000])
            #expect(rest.json["has_more"] as? Bool == false)

            for unsupported in ["amount>1000", "metadata['k']:'v' OR status:'succeeded'", "-status:'succeeded'", "metadata['k']:'open"] {
                let refused = try await search(unsupported)
                #expect(refused.status == 400, "\(unsupported)")
                #expect((refused.json["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
            }
        }
    }
}
