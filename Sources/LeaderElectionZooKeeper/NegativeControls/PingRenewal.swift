import Synchronization

/// The switch that puts back the renewal this backend must not use, for the billing fault suite's
/// `renew-by-ping` negative control: a lease renewed by a ping, which the session's server answers
/// on its own, instead of a transaction that a quorum of the ensemble must commit.
///
/// A server cut off from the rest of the ensemble keeps answering pings for `syncLimit` ticks
/// while the others expire the session and elect another candidate, so a candidate whose server is
/// cut off keeps leading beside its successor. The suite must see that as overlapping leadership
/// in the store's own record. Never switch it on in production.
@_spi(NegativeControls)
public enum PingRenewal {
    private static let enabled = Atomic<Bool>(false)

    /// Makes every ``ZooKeeperBackend`` in this process renew leases by ping, for the rest of its life.
    public static func enableForNegativeControl() {
        enabled.store(true, ordering: .relaxed)
    }

    /// Whether ``enableForNegativeControl()`` was called.
    public static var isEnabled: Bool { enabled.load(ordering: .relaxed) }
}
