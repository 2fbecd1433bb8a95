/// A deliberate defect, switched on only to prove that the fault-injection harness catches what
/// it claims to catch (its negative controls). Never set one in production: each breaks the
/// exactly-once guarantee on purpose.
///
/// `billing node` reads it from `BILLING_NEGATIVE_CONTROL` only (there is no flag), and logs a
/// warning at start when it is set.
public enum NegativeControl: String, Sendable, CaseIterable {
    /// No fencing at all: the store never sees a real token (every write carries the highest
    /// possible one, so none is refused), and a leader that loses its lease finishes the renewal
    /// pass it is in instead of being cancelled. Two leaders then write side by side.
    case noFencing = "no-fencing"
    /// Every provider call gets a new idempotency key, so a retry after a lost response charges again.
    case newKeyPerAttempt = "new-key-per-attempt"
}
