/// Step (c) of a renewal: what one fenced transaction writes after the provider answered.
public struct RenewalRecord: Hashable, Sendable {
    /// The subscription renewed.
    public var subscriptionID: String
    /// Start of the period the charge paid for (identifies the charge row).
    public var periodStart: Timestamp
    /// The charge row's outcome; nil when no charge was made (cancel at period end).
    public var charge: ChargeUpdate?
    /// The subscription's new state; nil leaves it unchanged (outcome still unknown).
    public var subscription: SubscriptionTransition?

    /// Creates a record.
    public init(subscriptionID: String, periodStart: Timestamp, charge: ChargeUpdate?, subscription: SubscriptionTransition?) {
        self.subscriptionID = subscriptionID
        self.periodStart = periodStart
        self.charge = charge
        self.subscription = subscription
    }
}
