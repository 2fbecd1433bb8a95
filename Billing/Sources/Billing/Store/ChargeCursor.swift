/// A position in the charge ledger (subscription id, then period start) for paging through charges.
public struct ChargeCursor: Hashable, Sendable {
    /// The subscription id of the last row seen.
    public var subscriptionID: String
    /// The period start of the last row seen.
    public var periodStart: Timestamp

    /// Creates a cursor just after the given row.
    public init(subscriptionID: String, periodStart: Timestamp) {
        self.subscriptionID = subscriptionID
        self.periodStart = periodStart
    }

    /// The cursor just after `charge`.
    public init(after charge: Charge) {
        self.init(subscriptionID: charge.subscriptionID, periodStart: charge.periodStart)
    }
}
