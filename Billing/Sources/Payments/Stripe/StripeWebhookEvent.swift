import Foundation

/// A verified Stripe event about a PaymentIntent, as far as billing needs it.
public struct StripeWebhookEvent: Sendable, Hashable {
    /// The event's id (`evt_...`): deliveries of one event share it.
    public var id: String
    /// The event's type, such as `payment_intent.succeeded`.
    public var type: String
    /// The PaymentIntent's id, when the event is about one.
    public var paymentIntentID: String?
    /// The PaymentIntent's metadata (the renewal engine's charge identity), empty when none.
    public var metadata: [String: String]
    /// What the PaymentIntent's status means for its charge, when the event is about one: final
    /// for `succeeded` and for a failure, ``ChargeOutcome/unknown(message:)`` while `processing`.
    public var outcome: ChargeOutcome?

    /// Reads an event's JSON.
    /// - Throws: ``StripeWebhookError`` with ``StripeWebhookError/Code/malformedEvent``.
    public init(json: [UInt8]) throws(StripeWebhookError) {
        struct Envelope: Decodable {
            struct Payload: Decodable { var object: StripeWire.PaymentIntent? }
            var id: String
            var object: String?
            var type: String
            var data: Payload?
        }
        struct Untyped: Decodable {
            var id: String
            var type: String
        }
        let decoder = JSONDecoder()
        if let envelope = try? decoder.decode(Envelope.self, from: Data(json)), envelope.object == nil || envelope.object == "event" {
            id = envelope.id
            type = envelope.type
            let intent = envelope.data?.object.flatMap { $0.object == nil || $0.object == "payment_intent" ? $0 : nil }
            paymentIntentID = intent?.id
            metadata = intent?.metadata ?? [:]
            outcome = intent.map(StripeClient.outcome(of:))
        } else if let untyped = try? decoder.decode(Untyped.self, from: Data(json)) {
            // Another kind of object (a charge, a customer): nothing billing acts on.
            (id, type, paymentIntentID, metadata, outcome) = (untyped.id, untyped.type, nil, [:], nil)
        } else {
            throw StripeWebhookError(.malformedEvent, "the payload is not a Stripe event (JSON with an id and a type)")
        }
    }
}
