/// Where a charge row stands.
public enum ChargeStatus: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Written before the provider call; the outcome is not recorded yet (or the writer crashed).
    case pending
    /// The provider took the money.
    case succeeded
    /// The provider declined or failed without charging; a dunning retry may follow.
    case failed
    /// The provider's answer was lost or ambiguous; reconcile by asking again with the same key.
    case unknown

    /// Whether the outcome is still open (``pending`` or ``unknown``): reconciliation re-asks the provider.
    public var isUnresolved: Bool { self == .pending || self == .unknown }

    public var description: String { rawValue }
}
