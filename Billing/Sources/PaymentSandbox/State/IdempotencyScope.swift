/// An idempotency key within one provider's namespace (a Stripe key and a PayPal request id never collide).
struct IdempotencyScope: Hashable, Sendable {
    /// `stripe` or `paypal`.
    var provider: String
    /// The key as the client sent it.
    var key: String
}
