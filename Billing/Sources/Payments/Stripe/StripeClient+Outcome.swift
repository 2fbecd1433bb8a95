import Foundation

extension StripeClient {
    /// Maps one Stripe answer (status, `Retry-After` header, body) to a ``ChargeOutcome``, or throws for faults no retry can fix.
    ///
    /// | answer | outcome |
    /// |---|---|
    /// | 2xx PaymentIntent `succeeded` | ``ChargeOutcome/succeeded(reference:)`` (the `pi_...` id) |
    /// | 2xx PaymentIntent `processing` | ``ChargeOutcome/processing(reference:)``: settled later (webhook, lookup) |
    /// | 2xx PaymentIntent `requires_capture` | ``ChargeOutcome/unknown(_:)``: not final yet |
    /// | 2xx PaymentIntent `requires_action` | ``ChargeOutcome/requiresAction(reference:action:)`` (next action's URL, client secret) |
    /// | 2xx PaymentIntent `requires_payment_method`, `canceled`, ... | ``ChargeOutcome/declined(code:declineCode:message:hard:reference:)`` |
    /// | 402 `card_error` `authentication_required` (code or decline code) with a PaymentIntent | ``ChargeOutcome/requiresAction(reference:action:)``: the customer can authenticate that intent |
    /// | 402 `card_error` `processing_error` | ``ChargeOutcome/retryable(message:)``: declined, so not charged |
    /// | 402 `card_error` (other) | ``ChargeOutcome/declined(code:declineCode:message:hard:reference:)``; hard per ``StripeDeclineCodes`` |
    /// | `idempotency_error` (any status), 409 | ``ChargeOutcome/idempotencyConflict(message:)`` |
    /// | 429 | ``ChargeOutcome/rateLimited(retryAfter:)`` with `Retry-After` when sent |
    /// | 401 / 403 | throws ``PaymentError`` (``PaymentError/Code/authenticationFailed`` / ``PaymentError/Code/permissionDenied``) |
    /// | 400 / 404 `invalid_request_error` | throws ``PaymentError`` (``PaymentError/Code/invalidRequest``) |
    /// | 5xx, `api_error` | ``ChargeOutcome/unknown(_:)``: Stripe may have applied it before failing |
    /// | any body that is not JSON of the expected shape | ``ChargeOutcome/unknown(_:)`` naming the status and quoting the body |
    ///
    /// A 5xx is never reported as ``ChargeOutcome/retryable(message:)``: nothing in it proves the
    /// charge did not happen. Only a request that never left the process is (see ``charge(_:)``).
    public static func outcome(status: Int, retryAfter: String? = nil, body: [UInt8]) throws -> ChargeOutcome {
        let decoder = JSONDecoder()
        // Only the messages of unexpected answers quote the body; most answers need no quote.
        var snippet: String { ProviderTransport.snippet(of: body, limit: 200) }
        if status == 429 {
            return .rateLimited(retryAfter: RetryAfter.parse(retryAfter))
        }
        if (200..<300).contains(status) {
            guard let intent = try? decoder.decode(StripeWire.PaymentIntent.self, from: Data(body)),
                intent.object == nil || intent.object == "payment_intent"
            else {
                return .unknown(
                    message:
                        "Stripe answered HTTP \(status) with \(snippet), which is not a PaymentIntent: the charge may have happened; retry with the same idempotency key"
                )
            }
            return outcome(of: intent)
        }
        guard let envelope = try? decoder.decode(StripeWire.ErrorEnvelope.self, from: Data(body)) else {
            switch status {
            case 401:
                throw PaymentError(code: .authenticationFailed, message: "Stripe rejected the API key (HTTP 401): check STRIPE_API_KEY")
            case 409:
                return .idempotencyConflict(
                    message: "Stripe answered HTTP 409 (a request with this key is in flight): retry later with the same key")
            default:
                return .unknown(
                    message:
                        "Stripe answered HTTP \(status) with \(snippet), which is not a Stripe error object: the charge may have happened; retry with the same idempotency key"
                )
            }
        }
        let error = envelope.error
        let message = error.message ?? "no message"
        let described = "Stripe \(error.type ?? "error") \(error.code.map { "\($0) " } ?? "")(HTTP \(status)): \(message)"
        if error.type == "idempotency_error" || status == 409 {
            return .idempotencyConflict(message: described)
        }
        switch status {
        case 401:
            throw PaymentError(code: .authenticationFailed, message: "\(described): check STRIPE_API_KEY")
        case 403:
            throw PaymentError(code: .permissionDenied, message: "\(described): the key may not create PaymentIntents")
        case 402 where error.type == "card_error" || error.type == nil:
            let code = error.code ?? "card_declined"
            if code == "authentication_required" || error.declineCode == "authentication_required", let intent = error.paymentIntent {
                // An off-session charge the bank wants the customer to authenticate: the same
                // PaymentIntent completes once they do (Stripe's `confirmCardPayment`).
                return .requiresAction(reference: intent.id, action: CustomerAction(clientSecret: intent.clientSecret))
            }
            if code == "processing_error" {
                return .retryable(message: "\(described): the card was not charged; retry later with the same key")
            }
            return .declined(
                code: code,
                declineCode: error.declineCode,
                message: message,
                hard: StripeDeclineCodes.isHard(code: code, declineCode: error.declineCode),
                reference: error.paymentIntent?.id
            )
        case 400, 404:
            throw PaymentError(
                code: .invalidRequest,
                message: "\(described)\(error.param.map { " (parameter \($0))" } ?? ""): the request needs fixing, a retry will not help"
            )
        default:
            return .unknown(message: "\(described): the charge may have happened; retry with the same idempotency key")
        }
    }

    /// The outcome a PaymentIntent's status stands for.
    static func outcome(of intent: StripeWire.PaymentIntent) -> ChargeOutcome {
        switch intent.status {
        case "succeeded":
            return .succeeded(reference: intent.id)
        case "processing":
            return .processing(reference: intent.id)
        case "requires_capture":
            return .unknown(
                message: "PaymentIntent \(intent.id) is \(intent.status): not final yet; retrieve it or retry with the same key later")
        case _ where intent.awaitsCustomer:
            return .requiresAction(reference: intent.id, action: intent.customerAction)
        default:
            let error = intent.lastPaymentError
            let code = error?.code ?? intent.status
            return .declined(
                code: code,
                declineCode: error?.declineCode,
                message: error?.message ?? "PaymentIntent \(intent.id) ended as \(intent.status)",
                hard: intent.status == "canceled" || StripeDeclineCodes.isHard(code: code, declineCode: error?.declineCode),
                reference: intent.id
            )
        }
    }
}
