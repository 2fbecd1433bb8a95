import Synchronization

/// The switch that puts back the renewal engine's "not sent closes a sent key" bug, for the fault
/// suite's `retryable-closes-charge` negative control: a `ChargeOutcome.retryable` answer (the
/// provider could not be reached this time) fails an open charge as if declined, even one whose
/// key an earlier round may have delivered. The dunning retry then charges the period again under
/// a new key. The suite must find that as a double charge in the provider's ledger. Never put it
/// back in production.
@_spi(NegativeControls)
public enum RetryableClosesCharge {
    private static let putBack = Atomic<Bool>(false)

    /// Puts the bug back in every renewal decision of this process, for the rest of its life.
    public static func putBackForNegativeControl() {
        putBack.store(true, ordering: .relaxed)
    }

    /// Whether ``putBackForNegativeControl()`` was called.
    public static var isPutBack: Bool { putBack.load(ordering: .relaxed) }
}
