import Billing
import Foundation
import Payments

/// `POST /webhooks/stripe`: Stripe's word on a PaymentIntent, verified (``StripeWebhook``: the
/// `Stripe-Signature` HMAC, 5 minutes' tolerance, several secrets while one is rotated out), and
/// applied by the ``WebhookSettler`` to the charge its metadata names (subscription, period
/// start, attempt), at most once per event.
struct StripeWebhookReceiver: Sendable {
    let settler: WebhookSettler
    /// The endpoint's signing secrets (`whsec_...`): more than one while a secret is rotated out.
    let secrets: [String]
    /// Unix seconds now, for the signature's tolerance.
    var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    /// Handles one delivery. A database that does not answer is a 503, which Stripe retries.
    func receive(payload: [UInt8], signature: String?) async -> WebhookAnswer {
        await settler.answer(provider: "stripe") {
            let signedAt: Int64
            let event: StripeWebhookEvent
            do {
                signedAt = try StripeWebhook.verify(payload: payload, header: signature, secrets: secrets, now: now())
                event = try StripeWebhookEvent(json: payload)
            } catch let error as StripeWebhookError {
                return WebhookAnswer(status: 400, outcome: "refused", detail: error.message)
            }
            let delivery = WebhookDelivery(
                provider: "stripe", eventID: event.id, eventType: event.type, signedAt: Timestamp(millisecondsSinceEpoch: signedAt * 1000))
            return try await settler.settle(delivery, outcome: event.outcome, reference: event.paymentIntentID) {
                guard let subscriptionID = event.metadata["subscription_id"], let startText = event.metadata["period_start"],
                    let start = try? Timestamp(iso8601: startText), let attempt = event.metadata["attempt"].flatMap(Int.init)
                else { return .nowhere("PaymentIntent \(event.paymentIntentID ?? "?") carries no renewal's metadata") }
                return try await settler.locate(subscriptionID: subscriptionID, describing: "for \(startText), attempt \(attempt)") {
                    $0.periodStart == start && $0.attempts == attempt
                }
            }
        }
    }
}
