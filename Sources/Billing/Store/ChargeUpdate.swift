/// The outcome written to a charge row in step (c).
public struct ChargeUpdate: Hashable, Sendable {
    /// The key of the attempt whose outcome this is; the write applies only while the row still has it.
    public var idempotencyKey: String
    /// The new status.
    public var status: ChargeStatus
    /// The provider's reference, if it gave one.
    public var providerReference: String?
    /// The decline or failure code, for failed and unknown charges.
    public var failureCode: String?

    /// Creates an update.
    public init(idempotencyKey: String, status: ChargeStatus, providerReference: String? = nil, failureCode: String? = nil) {
        self.idempotencyKey = idempotencyKey
        self.status = status
        self.providerReference = providerReference
        self.failureCode = failureCode
    }
}
