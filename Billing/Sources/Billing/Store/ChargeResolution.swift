/// An operator's settlement of a charge parked for review (`billing charges resolve`).
public struct ChargeResolution: Hashable, Sendable {
    /// What the operator found at the provider.
    public enum Outcome: String, Hashable, Sendable, CaseIterable {
        /// The provider took the money: the period is paid.
        case succeeded
        /// The provider did not take the money: the subscription goes on to its next dunning step.
        case failed
    }

    /// The parked charge's idempotency key.
    public var idempotencyKey: String
    /// What the operator found.
    public var outcome: Outcome
    /// The provider's reference of the charge (PaymentIntent id, capture id), if the operator has it.
    public var providerReference: String?
    /// Who settled it, for the audit trail.
    public var operatorName: String
    /// Why, for the audit trail.
    public var note: String?

    /// Creates a resolution.
    public init(idempotencyKey: String, outcome: Outcome, providerReference: String? = nil, operatorName: String, note: String? = nil) {
        self.idempotencyKey = idempotencyKey
        self.outcome = outcome
        self.providerReference = providerReference
        self.operatorName = operatorName
        self.note = note
    }
}
