import Foundation

extension PayPalClient {
    /// Maps one Orders v2 answer (status, `Retry-After` header, body) to a ``ChargeOutcome``, or
    /// throws for faults no retry can fix.
    ///
    /// | answer | outcome |
    /// |---|---|
    /// | 2xx order with a `COMPLETED` capture | ``ChargeOutcome/succeeded(reference:)`` (the capture id) |
    /// | 2xx order with a `DECLINED` or `FAILED` capture | declined; `declineCode` is the processor response code, hard per ``PayPalDeclineCodes`` |
    /// | 2xx order with a `PENDING` capture | ``ChargeOutcome/processing(reference:)`` (the capture id) |
    /// | 2xx order not captured | ``ChargeOutcome/unknown(_:)`` |
    /// | 2xx order `PAYER_ACTION_REQUIRED` | ``ChargeOutcome/requiresAction(reference:action:)`` (the order id, its `payer-action` link) |
    /// | 2xx order `VOIDED` | declined (hard) |
    /// | 422 with a refusal issue (`INSTRUMENT_DECLINED`, ...) | declined, hard per ``PayPalDeclineCodes/hardIssues`` |
    /// | 422 `PAYPAL_REQUEST_ID_PREVIOUSLY_USED`, `PREVIOUS_REQUEST_IN_PROGRESS`, `DUPLICATE_INVOICE_ID`; 409 | ``ChargeOutcome/idempotencyConflict(message:)`` |
    /// | 429 | ``ChargeOutcome/rateLimited(retryAfter:)`` |
    /// | 400, 404, other 422 issues | throws ``PaymentError`` (``PaymentError/Code/invalidRequest``) |
    /// | 401 / 403 | throws ``PaymentError`` (authentication / permission) |
    /// | 5xx, or a body that is not what PayPal sends | ``ChargeOutcome/unknown(_:)`` naming what was wrong |
    public static func outcome(status: Int, retryAfter: String? = nil, body: [UInt8]) throws -> ChargeOutcome {
        let decoder = JSONDecoder()
        // Only the messages of unexpected answers quote the body; most answers need no quote.
        var snippet: String { ProviderTransport.snippet(of: body, limit: 200) }
        if status == 429 {
            return .rateLimited(retryAfter: RetryAfter.parse(retryAfter))
        }
        if (200..<300).contains(status) {
            guard let order = try? decoder.decode(PayPalWire.Order.self, from: Data(body)) else {
                return .unknown(
                    message:
                        "PayPal answered HTTP \(status) with \(snippet), which is not an order: the charge may have happened; retry with the same idempotency key"
                )
            }
            return outcome(of: order)
        }
        guard let error = try? decoder.decode(PayPalWire.ErrorBody.self, from: Data(body)) else {
            switch status {
            case 401:
                throw PaymentError(code: .authenticationFailed, message: "PayPal rejected the access token (HTTP 401)")
            case 409:
                return .idempotencyConflict(
                    message: "PayPal answered HTTP 409: a request with this PayPal-Request-Id is in flight; retry later with the same key")
            default:
                return .unknown(
                    message:
                        "PayPal answered HTTP \(status) with \(snippet), which is not a PayPal error object: the charge may have happened; retry with the same idempotency key"
                )
            }
        }
        let issue = error.details?.first?.issue
        let detail = error.details?.first?.description ?? error.message ?? "no message"
        let described = "PayPal \(error.name)\(issue.map { " \($0)" } ?? "") (HTTP \(status)): \(detail)"
        // DUPLICATE_INVOICE_ID: an account that blocks duplicate invoice ids already holds a
        // payment with this key as invoice_id (PayPal has forgotten the request id): the key was
        // used, so the charge is reconciled (looked up), never made again.
        if status == 409 || issue == "PAYPAL_REQUEST_ID_PREVIOUSLY_USED" || issue == "PREVIOUS_REQUEST_IN_PROGRESS"
            || issue == "DUPLICATE_REQUEST_ID" || issue == "DUPLICATE_INVOICE_ID"
        {
            return .idempotencyConflict(message: described)
        }
        switch status {
        case 401:
            throw PaymentError(code: .authenticationFailed, message: "\(described): check PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET")
        case 403:
            throw PaymentError(code: .permissionDenied, message: "\(described): the REST app may not create orders from vaulted sources")
        case 422 where issue.map(PayPalDeclineCodes.declineIssues.contains) == true:
            let code = issue ?? "DECLINED"
            return .declined(
                code: code, declineCode: nil, message: detail, hard: PayPalDeclineCodes.hardIssues.contains(code), reference: nil)
        case 400, 404, 422:
            throw PaymentError(code: .invalidRequest, message: "\(described): the request needs fixing, a retry will not help")
        default:
            return .unknown(message: "\(described): the charge may have happened; retry with the same idempotency key")
        }
    }

    /// The outcome an answered order stands for.
    static func outcome(of order: PayPalWire.Order) -> ChargeOutcome {
        let captures = order.captures
        if let completed = captures.first(where: { $0.status == "COMPLETED" }) {
            return .succeeded(reference: completed.id)
        }
        if let refused = captures.first(where: { $0.status == "DECLINED" || $0.status == "FAILED" }) {
            let processorCode = refused.processorResponse?.responseCode
            let name = processorCode.flatMap { PayPalDeclineCodes.processorCodeNames[$0] }
            return .declined(
                code: refused.status,
                declineCode: processorCode,
                message:
                    "PayPal capture \(refused.id) of order \(order.id) was \(refused.status.lowercased())\(name.map { " (\($0))" } ?? "")",
                hard: processorCode.map(PayPalDeclineCodes.hardProcessorCodes.contains) ?? false,
                reference: refused.id
            )
        }
        if let pending = captures.first(where: { $0.status == "PENDING" }) {
            // Captured, settling later (an eCheck, a review): the capture's webhook or a lookup settles it.
            return .processing(reference: pending.id)
        }
        switch order.status {
        case "PAYER_ACTION_REQUIRED":
            // The payer must approve this order (the `payer-action` link) before it can be captured.
            let link = order.links?.first(where: { $0.rel == "payer-action" || $0.rel == "approve" })?.href
            return .requiresAction(reference: order.id, action: CustomerAction(url: link))
        case "VOIDED":
            return .declined(code: order.status, declineCode: nil, message: "order \(order.id) was voided", hard: true, reference: order.id)
        default:
            let pending = captures.first.map { " (capture \($0.id) is \($0.status))" } ?? ""
            return .unknown(
                message: "PayPal order \(order.id) is \(order.status) without a completed capture\(pending): retry with the same key later")
        }
    }
}
