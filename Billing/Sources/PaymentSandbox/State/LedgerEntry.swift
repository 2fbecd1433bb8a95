import Foundation

/// One charge the sandbox applied, with the requests that carried its idempotency key.
///
/// A charge is "applied" when a confirmed payment (a Stripe PaymentIntent with `confirm=true`,
/// a PayPal order captured at once) was processed, whatever its result: ``status`` says whether
/// money moved. Replays, conflicts and injected faults that stop a request before it is applied
/// add no entry. Requests without an idempotency key each add their own entry, and so does a
/// request whose key the sandbox has forgotten (its retention passed): several entries with the
/// same key are that key charged more than once.
public struct LedgerEntry: Sendable, Hashable, Codable {
    /// `stripe` or `paypal`.
    public var provider: String
    /// The `Idempotency-Key` / `PayPal-Request-Id`, or `nil` when the request had none.
    public var idempotencyKey: String?
    /// How many times a charge was applied under this key while the key was remembered. The
    /// sandbox applies a remembered key once, so anything but 1 is a sandbox bug; audits check
    /// it. (A forgotten key applied again makes a second entry, not a count of 2.)
    public var count: Int
    /// The amount in minor units.
    public var amount: Int64
    /// The currency, lowercase ISO 4217.
    public var currency: String
    /// The customer reference (Stripe `customer`, PayPal `custom_id`).
    public var customer: String
    /// The payment method or vault id.
    public var paymentMethod: String
    /// `succeeded` (money moved) or `declined`.
    public var status: String
    /// The decline code, for declines.
    public var declineCode: String?
    /// The PaymentIntent id (`pi_...`) or the PayPal capture id.
    public var reference: String
    /// The charge's metadata (Stripe `metadata[...]`; PayPal: `description` as `key=value; ...`).
    public var metadata: [String: String]
    /// Requests that carried this key and were answered from the saved response.
    public var replays: Int
    /// When the charge was applied, in seconds since 1970.
    public var createdAt: Int64
    /// When the charge was applied, by the sandbox's own clock, in milliseconds since 1970.
    public var appliedAtMs: Int64

    /// Creates an entry.
    public init(
        provider: String, idempotencyKey: String?, count: Int, amount: Int64, currency: String, customer: String,
        paymentMethod: String, status: String, declineCode: String?, reference: String, metadata: [String: String],
        replays: Int, createdAt: Int64, appliedAtMs: Int64 = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    ) {
        self.provider = provider
        self.idempotencyKey = idempotencyKey
        self.count = count
        self.amount = amount
        self.currency = currency
        self.customer = customer
        self.paymentMethod = paymentMethod
        self.status = status
        self.declineCode = declineCode
        self.reference = reference
        self.metadata = metadata
        self.replays = replays
        self.createdAt = createdAt
        self.appliedAtMs = appliedAtMs
    }

    enum CodingKeys: String, CodingKey {
        case provider, count, amount, currency, customer, status, reference, metadata, replays
        case idempotencyKey = "idempotency_key"
        case paymentMethod = "payment_method"
        case declineCode = "decline_code"
        case createdAt = "created_at"
        case appliedAtMs = "applied_at_ms"
    }
}
