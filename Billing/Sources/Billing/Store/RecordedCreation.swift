/// A subscription creation recorded under its `Idempotency-Key`, in the transaction that created
/// the subscription: a retried request with the same key answers `response` again.
public struct RecordedCreation: Hashable, Sendable {
    /// The client's key.
    public var idempotencyKey: String
    /// The request in a canonical form, so that the same key with a different request is refused.
    public var request: String
    /// The subscription it created.
    public var subscriptionID: String
    /// The answer given the first time (the API's JSON body).
    public var response: String

    /// Creates a record.
    public init(idempotencyKey: String, request: String, subscriptionID: String, response: String) {
        self.idempotencyKey = idempotencyKey
        self.request = request
        self.subscriptionID = subscriptionID
        self.response = response
    }
}
