/// A position in the due order (due instant, then subscription id) for paging through due subscriptions.
public struct DueCursor: Hashable, Sendable {
    /// The due instant of the last row seen.
    public var dueAt: Timestamp
    /// The id of the last row seen.
    public var subscriptionID: String

    /// Creates a cursor just after the given row.
    public init(dueAt: Timestamp, subscriptionID: String) {
        self.dueAt = dueAt
        self.subscriptionID = subscriptionID
    }
}
