import Billing
import Foundation
import Payments

/// `POST /webhooks/paypal`: PayPal's word on a capture, verified by PayPal itself
/// (`POST /v1/notifications/verify-webhook-signature` at the provider URL, with the delivery's
/// `PAYPAL-*` headers and the configured webhook id), refused when its transmission time is more
/// than 5 minutes away from now (a captured delivery replayed later), and applied by the
/// ``WebhookSettler`` to the charge whose idempotency key the capture carries as `invoice_id`.
struct PayPalWebhookReceiver: Sendable {
    let settler: WebhookSettler
    let client: PayPalClient
    /// The id of this endpoint's webhook at PayPal (`PAYPAL_WEBHOOK_ID`).
    let webhookID: String
    var now: @Sendable () -> Date = { Date() }

    /// Handles one delivery. PayPal or the database out of reach is a 503, which PayPal retries.
    func receive(payload: [UInt8], header: (String) -> String?) async -> WebhookAnswer {
        await settler.answer(provider: "paypal") {
            let headers: PayPalClient.WebhookHeaders
            let event: PayPalWebhookEvent
            do {
                headers = try PayPalClient.WebhookHeaders(header)
                event = try PayPalWebhookEvent(json: payload)
            } catch let error as PaymentError {
                return WebhookAnswer(status: 400, outcome: "refused", detail: error.message)
            }
            guard let sent = try? Date(headers.transmissionTime, strategy: .iso8601) else {
                return WebhookAnswer(status: 400, outcome: "refused", detail: "PAYPAL-TRANSMISSION-TIME is not an ISO 8601 time")
            }
            guard abs(sent.timeIntervalSince(now())) <= 300 else {
                return WebhookAnswer(
                    status: 400, outcome: "refused",
                    detail: "the delivery was sent at \(headers.transmissionTime), more than 5 minutes from now")
            }
            switch try await client.verifyWebhook(event: payload, headers: headers, webhookID: webhookID) {
            case .verified: break
            case .refused(let why): return WebhookAnswer(status: 400, outcome: "refused", detail: why)
            case .unavailable(let why): return WebhookAnswer(status: 503, outcome: "retry", detail: why)
            }
            let delivery = WebhookDelivery(
                provider: "paypal", eventID: event.id, eventType: event.type,
                signedAt: Timestamp(millisecondsSinceEpoch: Int64((sent.timeIntervalSince1970 * 1000).rounded(.down))))
            let reference: String? =
                switch event.outcome {
                case .succeeded(let reference)?, .processing(let reference)?: reference
                case .declined(_, _, _, _, let reference)?: reference
                default: nil
                }
            return try await settler.settle(delivery, outcome: event.outcome, reference: reference) {
                guard let key = event.invoiceID, let charge = try await settler.store.charge(idempotencyKey: key) else {
                    return .nowhere("no charge has the capture's invoice_id \(event.invoiceID ?? "(none)")")
                }
                return try await settler.locate(charge)
            }
        }
    }
}
