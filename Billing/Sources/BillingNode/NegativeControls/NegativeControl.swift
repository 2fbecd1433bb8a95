/// A deliberate defect, switched on only to prove that the fault-injection harness catches what
/// it claims to catch (its negative controls). Never set one in production: each breaks the
/// exactly-once guarantee on purpose.
///
/// `billing node` reads it from `BILLING_NEGATIVE_CONTROL` only (there is no flag), and logs a
/// warning at start when it is set.
public enum NegativeControl: String, Sendable, CaseIterable {
    /// The billing store's fence predicate removed (`FencePredicate` (Billing)): writes carry the
    /// leader's real token and the fence is still raised, but a write under a lower token is no
    /// longer refused. Everything else (leadership checks, cancellation) stays. A leader stopped
    /// after its last check then writes after its successor: the database's record of writes and
    /// fences must show it.
    case noFencing = "no-fencing"
    /// Every provider call gets a new idempotency key, so a retry after a lost response charges again.
    case newKeyPerAttempt = "new-key-per-attempt"
    /// The ZooKeeper backend renews its lease by ping (`PingRenewal` (LeaderElectionZooKeeper)),
    /// which the session's server answers on its own: a leader whose server is cut off from the
    /// ensemble keeps leading while the ensemble expires its session and elects a successor. Only
    /// the fence then stands between the two; the store's own record must show them overlap.
    case renewByPing = "renew-by-ping"
    /// The renewal engine's old bug put back (`RetryableClosesCharge` (Billing)): "the provider
    /// could not be reached" fails an open charge whose key may already have been applied, and
    /// the dunning retry charges the period again under a new key.
    case retryableClosesCharge = "retryable-closes-charge"
}
