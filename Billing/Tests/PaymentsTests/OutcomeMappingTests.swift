import Foundation
import Payments
import Testing

@Suite("Answer → outcome tables, without HTTP")
struct OutcomeMappingTests {
    private func stripe(_ status: Int, _ body: String, retryAfter: String? = nil) throws -> ChargeOutcome {
        try StripeClient.outcome(status: status, retryAfter: retryAfter, body: Array(body.utf8))
    }

    private func payPal(_ status: Int, _ body: String) throws -> ChargeOutcome {
        try PayPalClient.outcome(status: status, body: Array(body.utf8))
    }

    @Test("Stripe statuses and error types")
    func stripeTable() throws {
        #expect(try stripe(200, #"{"id":"pi_1","object":"payment_intent","status":"succeeded"}"#) == .succeeded(reference: "pi_1"))
        #expect(try stripe(200, #"{"id":"pi_1","object":"payment_intent","status":"processing"}"#) == .processing(reference: "pi_1"))
        #expect(
            try stripe(
                200,
                #"{"id":"pi_1","object":"payment_intent","status":"requires_action","client_secret":"pi_1_secret_x","next_action":{"type":"redirect_to_url","redirect_to_url":{"url":"https://hooks.example/3ds"}}}"#
            ) == .requiresAction(reference: "pi_1", action: CustomerAction(url: "https://hooks.example/3ds", clientSecret: "pi_1_secret_x"))
        )
        // Off-session: Stripe declines with authentication_required and names the intent the customer can complete.
        #expect(
            try stripe(
                402,
                #"{"error":{"type":"card_error","code":"authentication_required","decline_code":"authentication_required","message":"needs 3DS","payment_intent":{"id":"pi_2","client_secret":"pi_2_secret_y","status":"requires_payment_method"}}}"#
            ) == .requiresAction(reference: "pi_2", action: CustomerAction(clientSecret: "pi_2_secret_y")))
        #expect(try stripe(429, "", retryAfter: "7") == .rateLimited(retryAfter: .seconds(7)))
        #expect(try stripe(429, "not json") == .rateLimited(retryAfter: nil))
        #expect(try stripe(409, #"{"error":{"type":"idempotency_error","message":"busy"}}"#).conflictMessage != nil)
        #expect(try stripe(400, #"{"error":{"type":"idempotency_error","message":"other params"}}"#).conflictMessage != nil)
        let decline = try stripe(
            402,
            #"{"error":{"type":"card_error","code":"card_declined","decline_code":"stolen_card","message":"no","payment_intent":{"id":"pi_9"}}}"#
        )
        #expect(decline == .declined(code: "card_declined", declineCode: "stolen_card", message: "no", hard: true, reference: "pi_9"))
        guard case .retryable = try stripe(402, #"{"error":{"type":"card_error","code":"processing_error","message":"x"}}"#) else {
            Issue.record("processing_error must be retryable")
            return
        }
        guard case .unknown = try stripe(500, #"{"error":{"type":"api_error","message":"boom"}}"#) else {
            Issue.record("api_error must be unknown")
            return
        }
        guard case .unknown = try stripe(503, "") else {
            Issue.record("an empty 503 must be unknown")
            return
        }
        #expect(throws: PaymentError.self) {
            try stripe(400, #"{"error":{"type":"invalid_request_error","message":"bad","param":"amount"}}"#)
        }
        #expect(throws: PaymentError.self) { try stripe(401, "garbage") }
    }

    @Test(
        "Stripe garbage bodies: unknown, saying what was wrong, never a crash",
        arguments: [
            "", "<html>oops</html>", "{", "[]", "null", #"{"id": 5}"#, #"{"object":"customer","id":"cus_1","status":"x"}"#,
            String(repeating: "\u{0}", count: 40),
        ])
    func stripeGarbage(_ body: String) throws {
        for status in [200, 402, 500, 418] {
            let outcome = try stripe(status, body)
            guard case .unknown(let message) = outcome else {
                Issue.record("HTTP \(status) with \(body.debugDescription): expected unknown, got \(outcome)")
                continue
            }
            #expect(message.contains("HTTP \(status)"))
        }
    }

    @Test("PayPal statuses and issues")
    func payPalTable() throws {
        let captured = #"{"id":"O1","status":"COMPLETED","purchase_units":[{"payments":{"captures":[{"id":"C1","status":"COMPLETED"}]}}]}"#
        #expect(try payPal(201, captured) == .succeeded(reference: "C1"))
        let declined =
            #"{"id":"O1","status":"COMPLETED","purchase_units":[{"payments":{"captures":[{"id":"C1","status":"DECLINED","processor_response":{"response_code":"5400"}}]}}]}"#
        guard case .declined(_, "5400", _, true, "C1") = try payPal(201, declined) else {
            Issue.record("expected a hard decline")
            return
        }
        guard
            case .declined("INSTRUMENT_DECLINED", nil, _, false, nil) = try payPal(
                422, #"{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"INSTRUMENT_DECLINED"}]}"#)
        else {
            Issue.record("expected a soft decline")
            return
        }
        #expect(
            try payPal(422, #"{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"PAYPAL_REQUEST_ID_PREVIOUSLY_USED"}]}"#).conflictMessage
                != nil)
        #expect(throws: PaymentError.self) {
            try payPal(422, #"{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"CURRENCY_NOT_SUPPORTED"}]}"#)
        }
        #expect(throws: PaymentError.self) { try payPal(400, #"{"name":"INVALID_REQUEST"}"#) }
        #expect(
            try payPal(
                201, #"{"id":"O1","status":"COMPLETED","purchase_units":[{"payments":{"captures":[{"id":"C1","status":"PENDING"}]}}]}"#)
                == .processing(reference: "C1"))
        #expect(
            try payPal(
                200,
                #"{"id":"O2","status":"PAYER_ACTION_REQUIRED","links":[{"href":"https://paypal.example/approve","rel":"payer-action"}]}"#)
                == .requiresAction(reference: "O2", action: CustomerAction(url: "https://paypal.example/approve")))
        guard case .unknown(let message) = try payPal(200, "<xml/>") else {
            Issue.record("garbage must be unknown")
            return
        }
        #expect(message.contains("not an order"))
    }
}
