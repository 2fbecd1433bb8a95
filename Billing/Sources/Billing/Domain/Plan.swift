/// What a subscription costs and how often it renews.
public struct Plan: Hashable, Sendable, CustomStringConvertible {
    /// How often the plan renews.
    public var interval: BillingInterval
    /// The price of one period; positive.
    public var price: Money

    /// The plan's currency.
    public var currency: Currency { price.currency }

    /// Creates a plan.
    /// - Throws: ``BillingError/Code/invalidSubscription`` when `price` is zero or negative.
    public init(interval: BillingInterval, price: Money) throws(BillingError) {
        guard price.isPositive else {
            throw BillingError(code: .invalidSubscription, message: "a plan's price must be positive, not \(price)")
        }
        self.interval = interval
        self.price = price
    }

    public var description: String { "\(price) \(interval)" }
}
