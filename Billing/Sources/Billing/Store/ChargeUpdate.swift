import Payments

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
    /// Why an operator must look at the charge (nil: clears any earlier reason). On an open
    /// charge it parks it (nothing more is sent); on a succeeded one it asks for a refund review.
    public var reviewReason: String?
    /// For a charge left open: not before this instant is the provider asked again (back-off);
    /// counts one more unanswered round. Nil: the round was answered (the count restarts).
    public var nextSendAt: Timestamp?
    /// For a charge left open whose key is sent anew (the provider provably never applied the
    /// old one): the new send time, which restarts the key's replay window. Nil: unchanged.
    public var keySentAt: Timestamp?
    /// What brings the customer back to authenticate the charge, when they must (kept on the row
    /// for the `action_required` event; nil leaves the stored one).
    public var customerAction: CustomerAction?

    /// Creates an update.
    public init(
        idempotencyKey: String, status: ChargeStatus, providerReference: String? = nil, failureCode: String? = nil,
        reviewReason: String? = nil, nextSendAt: Timestamp? = nil, keySentAt: Timestamp? = nil
    ) {
        self.idempotencyKey = idempotencyKey
        self.status = status
        self.providerReference = providerReference
        self.failureCode = failureCode
        self.reviewReason = reviewReason
        self.nextSendAt = nextSendAt
        self.keySentAt = keySentAt
    }
}

extension ChargeUpdate {
    /// ``customerAction`` as the JSON the `customer_action` column keeps; nil when there is none.
    var customerActionJSON: String? { customerAction?.json }
}
