import Foundation
import PaymentSandbox
import Testing

@testable import Payments

@Suite("PayPal charge lookup (Transaction Search) against the sandbox")
struct PayPalLookupTests {
    @Test("a completed capture is found by its invoice id, also after the request id was forgotten")
    func findsSucceeded() async throws {
        try await withSandbox { _, url in
            let client = try payPalClient(url)
            let request = engineCharge(paymentMethod: TestScenario.succeeds.payPalVaultID)
            guard case .succeeded(let capture) = try await client.charge(request) else {
                Issue.record("the capture did not succeed")
                return
            }
            #expect(try await client.lookUpCharge(request) == .found(.succeeded(reference: capture)))
            try await advanceSandboxClock(url, by: .seconds(7 * 3600))
            #expect(try await client.lookUpCharge(request) == .found(.succeeded(reference: capture)))
        }
    }

    @Test("a declined capture is found as a soft decline; a refused order left nothing, so notFound")
    func findsDeclined() async throws {
        try await withSandbox { _, url in
            let client = try payPalClient(url)
            let declined = engineCharge(paymentMethod: TestScenario.insufficientFunds.payPalVaultID)
            guard case .declined(_, "5120", _, _, let capture?) = try await client.charge(declined) else {
                Issue.record("the capture was not declined with a reference")
                return
            }
            guard case .found(.declined("DENIED", nil, _, false, capture)) = try await client.lookUpCharge(declined) else {
                Issue.record("the lookup did not find the denied capture \(capture)")
                return
            }
            let refused = engineCharge(paymentMethod: TestScenario.genericDecline.payPalVaultID)
            guard case .declined("INSTRUMENT_DECLINED", _, _, _, _) = try await client.charge(refused) else {
                Issue.record("the order was not refused")
                return
            }
            #expect(try await client.lookUpCharge(refused) == .notFound)
        }
    }

    @Test("a key never sent is notFound")
    func notFound() async throws {
        try await withSandbox { _, url in
            let client = try payPalClient(url)
            _ = try await client.charge(engineCharge(paymentMethod: "vault_ok"))
            #expect(try await client.lookUpCharge(engineCharge(paymentMethod: "vault_ok")) == .notFound)
        }
    }

    @Test("two captures with the same invoice id (the forgotten-request-id double charge) are ambiguous, naming both")
    func ambiguousAfterDoubleCharge() async throws {
        try await withSandbox { server, url in
            let client = try payPalClient(url)
            let request = engineCharge(paymentMethod: "vault_ok")
            guard case .succeeded(let first) = try await client.charge(request) else {
                Issue.record("the first capture did not succeed")
                return
            }
            try await advanceSandboxClock(url, by: .seconds(6 * 3600 + 1))
            guard case .succeeded(let second) = try await client.charge(request) else {
                Issue.record("the second capture did not succeed")
                return
            }
            #expect(server.ledger().filter { $0.idempotencyKey == request.idempotencyKey }.count == 2)
            let message = try #require(try await client.lookUpCharge(request).ambiguity)
            #expect(message.contains(first) && message.contains(second), "\(message)")
        }
    }

    @Test("a capture without invoice id for the same customer and amount makes notFound ambiguous")
    func unlabelledCaptureIsAmbiguous() async throws {
        try await withSandbox { _, url in
            // An order as an earlier client made it: no invoice_id.
            let basic = Data("sandbox-client:sandbox-secret".utf8).base64EncodedString()
            let token = try await send(
                "POST", url + "/v1/oauth2/token",
                headers: ["Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"],
                body: "grant_type=client_credentials"
            )
            let accessToken = try #require(token.json["access_token"] as? String)
            let order = try await send(
                "POST", url + "/v2/checkout/orders",
                headers: [
                    "Authorization": "Bearer " + accessToken, "Content-Type": "application/json", "PayPal-Request-Id": "old-client-1",
                ],
                body:
                    #"{"intent":"CAPTURE","purchase_units":[{"custom_id":"cus_test","amount":{"currency_code":"USD","value":"19.99"}}],"payment_source":{"paypal":{"vault_id":"vault_ok"}}}"#
            )
            #expect(order.status == 201)
            let client = try payPalClient(url)
            let message = try #require(try await client.lookUpCharge(engineCharge(amount: 1999, paymentMethod: "vault_ok")).ambiguity)
            #expect(message.contains("carry none"), "\(message)")
            #expect(try await client.lookUpCharge(engineCharge(amount: 2000, paymentMethod: "vault_ok")) == .notFound)
        }
    }

    @Test("no period_start (or one older than three years) cannot be searched: lookupUnsupported")
    func needsPeriodStart() async throws {
        try await withSandbox { _, url in
            let client = try payPalClient(url)
            var withoutPeriod = engineCharge(paymentMethod: "vault_ok")
            withoutPeriod.metadata["period_start"] = nil
            for request in [withoutPeriod, engineCharge(periodStart: "last month"), engineCharge(periodStart: "2020-01-01")] {
                do {
                    _ = try await client.lookUpCharge(request)
                    Issue.record("expected lookupUnsupported for period_start \(request.metadata["period_start"] ?? "none")")
                } catch let error as PaymentError {
                    #expect(error.code == .lookupUnsupported)
                }
            }
        }
    }

    @Test("search windows: a day before period_start until now, at most 30 days each")
    func windows() throws {
        let now = try #require(PayPalClient.parseDate("2026-03-15T12:00:00Z"))
        let windows = try PayPalClient.searchWindows(for: engineCharge(periodStart: "2026-01-01T00:00:00Z"), now: now)
        #expect(windows.first?.start == PayPalClient.parseDate("2025-12-31T00:00:00Z"))
        #expect(windows.last?.end == now)
        #expect(windows.count == 3)
        #expect(windows.allSatisfy { $0.end.timeIntervalSince($0.start) <= 30 * 86_400 })
        #expect(zip(windows, windows.dropFirst()).allSatisfy { $0.end == $1.start })
        // A period that starts later than now (clock skew): still the last day.
        let early = try PayPalClient.searchWindows(for: engineCharge(periodStart: "2026-03-16"), now: now)
        #expect(early == [.init(start: now.addingTimeInterval(-86_400), end: now)])
        // The renewal engine's form, with milliseconds when they are not zero.
        #expect(
            PayPalClient.parseDate("2025-01-31T09:30:00.250Z") == PayPalClient.parseDate("2025-01-31T09:30:00Z")?.addingTimeInterval(0.25))
    }

    @Test("not reached, 500, 429, a lost or mangled answer: unavailable", arguments: ["500", "429", "lost", "garbage", "unreachable"])
    func unavailable(fault: String) async throws {
        try await withSandbox { _, url in
            // The token request carries no Sandbox-Fault header, so the fault meets the search itself.
            let client =
                try fault == "unreachable"
                ? payPalClient("http://127.0.0.1:1", timeout: .seconds(2))
                : payPalClient(url, fault: fault, timeout: .seconds(5))
            let result = try await client.lookUpCharge(engineCharge(paymentMethod: "vault_ok"))
            #expect(result.isUnavailable, "\(fault): \(result)")
        }
    }

    @Test("matching: refunds ignored, a listing's best record kept, reversed or mismatched ambiguous, DUPLICATE_INVOICE_ID a conflict")
    func matching() throws {
        let request = engineCharge(key: "k", amount: 1999, paymentMethod: "vault_ok")
        func info(
            _ id: String, _ value: String, _ status: String, invoice: String? = "k", custom: String? = "cus_test", currency: String = "USD"
        ) -> PayPalWire.TransactionInfo {
            PayPalWire.TransactionInfo(
                transactionID: id, transactionAmount: .init(currencyCode: currency, value: value), transactionStatus: status,
                invoiceID: invoice, customField: custom
            )
        }
        #expect(
            PayPalClient.lookupResult(for: request, transactions: [info("A", "19.99", "S"), info("R", "-19.99", "S")])
                == .found(.succeeded(reference: "A")))
        #expect(
            PayPalClient.lookupResult(for: request, transactions: [info("A", "19.99", "D"), info("A", "19.99", "S")])
                == .found(.succeeded(reference: "A")))
        guard case .found(.processing) = PayPalClient.lookupResult(for: request, transactions: [info("A", "19.99", "P")]) else {
            Issue.record("pending must be processing")
            return
        }
        #expect(PayPalClient.lookupResult(for: request, transactions: [info("A", "19.99", "V")]).ambiguity != nil)
        #expect(
            PayPalClient.lookupResult(for: request, transactions: [info("A", "19.99", "S", custom: nil)])
                == .found(.succeeded(reference: "A")))
        #expect(
            PayPalClient.lookupResult(for: request, transactions: [info("A", "19.99", "S"), info("B", "19.99", "S")]).ambiguity?.contains(
                "A, B") == true)
        #expect(
            PayPalClient.lookupResult(for: request, transactions: [info("A", "29.99", "S")]).ambiguity?.contains("amount 29.99") == true)
        #expect(PayPalClient.lookupResult(for: request, transactions: [info("A", "19.99", "S", custom: "cus_other")]).ambiguity != nil)
        #expect(PayPalClient.lookupResult(for: request, transactions: [info("A", "19.99", "S", invoice: "k2")]) == .notFound)

        let duplicate =
            #"{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"DUPLICATE_INVOICE_ID","description":"Duplicate Invoice ID detected."}]}"#
        #expect(
            try PayPalClient.outcome(status: 422, body: Array(duplicate.utf8)).conflictMessage?.contains("DUPLICATE_INVOICE_ID") == true)
        #expect(PayPalAmount.minorUnits("19.99", currency: "USD") == 1999)
        #expect(PayPalAmount.minorUnits("-5", currency: "USD") == -500)
        #expect(PayPalAmount.minorUnits("500", currency: "JPY") == 500)
        #expect(PayPalAmount.minorUnits("1.999", currency: "USD") == nil)
        #expect(PayPalAmount.minorUnits(".5", currency: "USD") == nil)
    }

    @Test("the order carries the key as invoice_id and leaves it out of the description")
    func orderBody() throws {
        let client = try payPalClient("http://127.0.0.1:1")
        let unit = try #require(client.orderBody(for: engineCharge(key: "renewal:s:p", periodStart: "2026-01-01")).purchaseUnits.first)
        #expect(unit.invoiceID == "renewal:s:p")
        #expect(unit.description == "attempt=1; period_start=2026-01-01; subscription_id=sub_1")
    }

    @Test("the sandbox's transaction search: date range required and bounded; denied captures only on request")
    func sandboxTransactionSearch() async throws {
        try await withSandbox { _, url in
            let client = try payPalClient(url)
            _ = try await client.charge(engineCharge(paymentMethod: "vault_ok"))
            _ = try await client.charge(engineCharge(paymentMethod: TestScenario.expiredCard.payPalVaultID))
            let basic = Data("sandbox-client:sandbox-secret".utf8).base64EncodedString()
            let token = try await send(
                "POST", url + "/v1/oauth2/token",
                headers: ["Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"],
                body: "grant_type=client_credentials"
            )
            let headers = ["Authorization": "Bearer " + (token.json["access_token"] as? String ?? "")]
            let formatter = ISO8601DateFormatter()
            let start = formatter.string(from: Date().addingTimeInterval(-3600))
            let end = formatter.string(from: Date().addingTimeInterval(60))
            let base = url + "/v1/reporting/transactions?start_date=\(start)&end_date=\(end)"
            let balance = try await send("GET", base, headers: headers)
            #expect(balance.status == 200)
            #expect((balance.json["transaction_details"] as? [[String: Any]])?.count == 1)
            let all = try await send("GET", base + "&balance_affecting_records_only=N&page_size=1", headers: headers)
            #expect(all.json["total_items"] as? Int == 2)
            #expect(all.json["total_pages"] as? Int == 2)
            let info = (all.json["transaction_details"] as? [[String: Any]])?.first?["transaction_info"] as? [String: Any]
            #expect(info?["custom_field"] as? String == "cus_test")
            #expect((info?["invoice_id"] as? String)?.hasPrefix("renewal:") == true)

            let tooLong = formatter.string(from: Date().addingTimeInterval(-40 * 86_400))
            #expect(
                try await send("GET", url + "/v1/reporting/transactions?start_date=\(tooLong)&end_date=\(end)", headers: headers).status
                    == 400)
            #expect(try await send("GET", url + "/v1/reporting/transactions?end_date=\(end)", headers: headers).status == 400)
            #expect(try await send("GET", base).status == 401)
        }
    }
}
