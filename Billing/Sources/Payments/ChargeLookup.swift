/// What a provider holds for a charge that was asked for under an idempotency key it may have
/// forgotten: the answer to ``PaymentProvider/lookUpCharge(_:)``.
///
/// Only ``found(_:)`` with a definite outcome and ``notFound`` settle anything; the other cases
/// leave the charge open (``unavailable(_:)``) or for an operator (``ambiguous(_:)``).
public enum ChargeLookupResult: Sendable, Hashable {
    /// Exactly one provider charge carries the request's references. Its outcome is
    /// ``ChargeOutcome/succeeded(reference:)``, ``ChargeOutcome/declined(code:declineCode:message:hard:reference:)``,
    /// ``ChargeOutcome/processing(reference:)`` or ``ChargeOutcome/requiresAction(reference:action:)``
    /// while the provider settles it, or ``ChargeOutcome/unknown(message:)`` for any other unsettled state.
    case found(ChargeOutcome)
    /// The provider holds no charge with the request's references: the key was never applied.
    case notFound
    /// More than one provider charge carries the references, or what was found does not match
    /// the request (amount, currency, customer): an operator must decide.
    case ambiguous(String)
    /// The provider could not be asked (not reached, 5xx, rate-limited, answer lost): ask again later.
    case unavailable(String)
}

extension PaymentProvider {
    /// Providers that cannot search their charges throw ``PaymentError/Code/lookupUnsupported``:
    /// a charge whose key may have been forgotten is then parked for an operator, never re-sent.
    public func lookUpCharge(_ request: ChargeRequest) async throws -> ChargeLookupResult {
        throw PaymentError(
            code: .lookupUnsupported,
            message: "this payment provider cannot look up a charge by its references; settle \(request.idempotencyKey) by hand"
        )
    }

    /// Unknown providers are assumed to keep keys for 24 hours, as Stripe does.
    public var idempotencyKeyRetention: Duration { .seconds(24 * 3600) }
}
