/// One provider call the node made, as the status API and the dashboard show it.
public struct ChargeEvent: Codable, Sendable, Hashable {
    /// When the answer came, in milliseconds since 1970 (the node's wall clock).
    public var atMs: Int64
    /// The idempotency key (`renewal:<subscription>:<period start>`).
    public var key: String
    /// The amount in minor units.
    public var amountMinor: Int64
    /// The ISO 4217 currency code.
    public var currency: String
    /// `succeeded`, `declined`, `retryable`, `rate_limited`, `conflict`, `unknown` or `error`.
    public var outcome: String
    /// The provider's decline code, for declines.
    public var declineCode: String?

    /// Creates an event.
    public init(atMs: Int64, key: String, amountMinor: Int64, currency: String, outcome: String, declineCode: String?) {
        self.atMs = atMs
        self.key = key
        self.amountMinor = amountMinor
        self.currency = currency
        self.outcome = outcome
        self.declineCode = declineCode
    }
}
