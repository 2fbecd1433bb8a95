import Billing
import Foundation

/// What a delivery of a ``BillingEvent`` carries to an endpoint, as JSON:
/// `{"id": "evt_42", "object": "event", "type": "subscription.renewed", "created": 1740700800,
/// "created_ms": 1740700800123, "subscription_id": "sub_1", "data": {...}}`; `data` is the
/// event's payload (the row as the change wrote it).
///
/// The body is signed in the `Billing-Signature` header with Stripe's scheme
/// (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`), so a receiver can verify it with the
/// code it uses for Stripe's webhooks (Stripe's own libraries included), and deduplicates on `id`.
enum EventEnvelope {
    /// The signature header's name.
    static let signatureHeader = "Billing-Signature"
    /// The header that repeats the event id, for receivers that deduplicate before parsing.
    static let idHeader = "Billing-Event-Id"

    /// The JSON body of `event`.
    static func body(of event: BillingEvent) -> [UInt8] {
        // The payload is JSON the database wrote; it is embedded as is, not parsed and re-encoded.
        let created = event.createdAt.millisecondsSinceEpoch
        let head =
            #"{"id":"\#(event.id)","object":"event","type":"\#(event.type)","created":\#(created / 1000),"created_ms":\#(created),"subscription_id":"#
            + jsonString(event.subscriptionID)
        return Array((head + #","data":"# + event.payload + "}").utf8)
    }

    /// `text` as a JSON string literal.
    private static func jsonString(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
