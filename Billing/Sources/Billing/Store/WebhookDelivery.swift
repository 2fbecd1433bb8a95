/// One delivery of a provider's webhook event, verified: what the store keeps to apply each event
/// at most once.
public struct WebhookDelivery: Hashable, Sendable {
    /// `stripe` or `paypal`.
    public var provider: String
    /// The provider's event id; deliveries of one event share it.
    public var eventID: String
    /// The event's type.
    public var eventType: String
    /// When the provider signed this delivery: a provider's retry is signed anew, a replay of a
    /// captured delivery carries the old signature.
    public var signedAt: Timestamp

    /// Creates a delivery.
    public init(provider: String, eventID: String, eventType: String, signedAt: Timestamp) {
        self.provider = provider
        self.eventID = eventID
        self.eventType = eventType
        self.signedAt = signedAt
    }
}

/// What a webhook delivery did.
public enum WebhookSettlement: Hashable, Sendable {
    /// It settled the open charge (and moved its subscription as the engine would have).
    case settled
    /// It marked the open charge as settling at the provider (processing, or waiting for the
    /// customer; the subscription `action_required`), as the engine would have.
    case marked
    /// It changed nothing, for this reason (the charge was settled already, the event is not
    /// final, it names no charge of this service); recorded, so that it is not looked at again.
    case ignored(String)
    /// The event was applied (or ignored) before: a provider's retry. Nothing changed.
    case duplicate
    /// This very delivery (same event, same signature time) was received before: a replay.
    case replay

    /// The outcome's name, as stored and answered.
    public var name: String {
        switch self {
        case .settled: "settled"
        case .marked: "marked"
        case .ignored: "ignored"
        case .duplicate: "duplicate"
        case .replay: "replay"
        }
    }
}
