/// Step (a) of a renewal: the charge the engine is about to ask the provider for.
public struct ChargeIntent: Hashable, Sendable {
    /// The subscription to charge.
    public var subscriptionID: String
    /// Start of the period to pay for (the current period's end).
    public var periodStart: Timestamp
    /// End of the period to pay for.
    public var periodEnd: Timestamp
    /// The attempt's idempotency key.
    public var idempotencyKey: String
    /// The amount to charge.
    public var amount: Money
    /// The provider's customer reference.
    public var customer: String
    /// The provider's payment-method reference.
    public var paymentMethod: String
    /// Which attempt for this period this is (1 for the first, 2 for the first dunning retry, ...).
    public var attempt: Int

    /// Creates an intent.
    public init(
        subscriptionID: String, periodStart: Timestamp, periodEnd: Timestamp, idempotencyKey: String, amount: Money, customer: String,
        paymentMethod: String, attempt: Int
    ) {
        self.subscriptionID = subscriptionID
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.idempotencyKey = idempotencyKey
        self.amount = amount
        self.customer = customer
        self.paymentMethod = paymentMethod
        self.attempt = attempt
    }
}
