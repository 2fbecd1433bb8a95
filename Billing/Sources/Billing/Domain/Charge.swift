import LeaderElection
import Payments

/// One row of the charge ledger: the charge for one period of one subscription.
///
/// The ledger is unique on (subscription, period start). The row is written (``ChargeStatus/pending``)
/// before the provider is called, so its ``idempotencyKey`` survives crashes and leader changes.
public struct Charge: Hashable, Sendable {
    /// The subscription charged.
    public var subscriptionID: String
    /// Start of the period paid for.
    public var periodStart: Timestamp
    /// End of the period paid for.
    public var periodEnd: Timestamp
    /// The key the provider deduplicates on (see ``Subscription/idempotencyKey(subscriptionID:periodStart:attempt:)``).
    public var idempotencyKey: String
    /// The amount asked for; a retry with the same key asks for exactly this.
    public var amount: Money
    /// The provider's customer reference the charge was asked for (replayed with the key).
    public var customer: String
    /// The payment-method reference the charge was asked for (replayed with the key).
    public var paymentMethod: String
    /// Where the charge stands.
    public var status: ChargeStatus
    /// The provider's reference (PaymentIntent id, capture id), once known.
    public var providerReference: String?
    /// The decline or failure code of a failed charge.
    public var failureCode: String?
    /// The fencing token of the leader that last wrote the row.
    public var fencingToken: FencingToken
    /// Charge attempts started for this period (1 for the first; dunning retries add one each).
    public var attempts: Int
    /// When the row was created.
    public var createdAt: Timestamp
    /// When the row last changed.
    public var updatedAt: Timestamp
    /// When the current key was first sent (written just before the first call); nil for rows
    /// made by hand. The key is replayed only within the provider's retention of it.
    public var keySentAt: Timestamp?
    /// While open after unanswered rounds (provider unreachable): not asked again before this.
    public var nextSendAt: Timestamp?
    /// Unanswered rounds in a row for the open charge (the back-off's exponent).
    public var sendFailures: Int
    /// Why an operator must look at it (nil: no need): parked while open, refund review once succeeded.
    public var reviewReason: String?
    /// What brings the customer back to authenticate it, while it waits for them (``actionRequiredCode``).
    public var customerAction: CustomerAction?

    /// Whether the engine still works on it: open, and not parked for an operator.
    public var isAwaitingProvider: Bool { status.isUnresolved && reviewReason == nil }

    /// The ``failureCode`` of an open charge the provider accepted and settles later (`ChargeOutcome.processing(reference:)`).
    public static let processingCode = "processing"
    /// The ``failureCode`` of an open charge that waits for its customer to authenticate it (`ChargeOutcome.requiresAction(reference:action:)`).
    public static let actionRequiredCode = "requires_action"

    /// Whether the provider accepted this open charge and settles it later (processing, or
    /// waiting for its customer): its key is never sent again (a replay would answer the first,
    /// stale outcome); the engine looks it up instead, and a webhook may settle it first.
    public var isSettlingAtProvider: Bool {
        status.isUnresolved && (failureCode == Self.processingCode || failureCode == Self.actionRequiredCode)
    }

    /// Creates a row.
    public init(
        subscriptionID: String, periodStart: Timestamp, periodEnd: Timestamp, idempotencyKey: String, amount: Money,
        customer: String, paymentMethod: String, status: ChargeStatus, providerReference: String?, failureCode: String?,
        fencingToken: FencingToken,
        attempts: Int, createdAt: Timestamp, updatedAt: Timestamp,
        keySentAt: Timestamp? = nil, nextSendAt: Timestamp? = nil, sendFailures: Int = 0, reviewReason: String? = nil,
        customerAction: CustomerAction? = nil
    ) {
        self.subscriptionID = subscriptionID
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.idempotencyKey = idempotencyKey
        self.amount = amount
        self.customer = customer
        self.paymentMethod = paymentMethod
        self.status = status
        self.providerReference = providerReference
        self.failureCode = failureCode
        self.fencingToken = fencingToken
        self.attempts = attempts
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.keySentAt = keySentAt
        self.nextSendAt = nextSendAt
        self.sendFailures = sendFailures
        self.reviewReason = reviewReason
        self.customerAction = customerAction
    }
}
