import LeaderElection
import Synchronization

/// What a waiting candidate knows about when its predecessor's lease can expire, from the lease's
/// time-to-live polled while it waits; and, when the predecessor's key goes, whether that can
/// have been before the predecessor stopped leading.
///
/// etcd deletes a leader's key early in one known case: a Raft leader paused (or stalled on its
/// disk) past an election resumes, still believes it leads for a moment, finds the leases it
/// counted down expired in its stale view, and proposes their revocation; the proposal is
/// forwarded to the new leader, which applies it although the lease holders kept renewing
/// (etcd-io/etcd#12528, #15247; fixed upstream by #16822, not in etcd 3.4.23 as Debian 12 ships it).
/// The predecessor then still leads until its next renewal fails, up to its deadline, which it
/// counts from a renewal sent before the deletion: so it stops leading within one TTL of the
/// deletion at the latest.
///
/// A deletion is early when it came before the expiry that the last time-to-live read promised.
/// A holder that renews every TTL / 3 always has more than half its TTL left, so with reads every
/// quarter TTL an early revocation of a live holder is seen as early; the expiry of a holder that
/// stopped renewing comes at or after the promised time and is not. etcd reports whole seconds,
/// rounded down, so the promise is never later than etcd's own countdown.
struct PredecessorLeaseClock: Sendable {
    /// The latest expiry a read promised: the read's send time plus the time left it reported.
    private(set) var promisedExpiry: ContinuousClock.Instant?
    /// The lease's granted TTL, as the reads reported it.
    private(set) var grantedTTL: Duration = .zero

    /// Records one time-to-live read sent at `sentAt`: `remaining` and `granted` in etcd's whole
    /// seconds; a negative `remaining` means the lease is gone, and promises nothing.
    mutating func record(sentAt: ContinuousClock.Instant, remaining: Int64, granted: Int64) {
        guard remaining >= 0, granted > 0 else { return }
        grantedTTL = max(grantedTTL, .seconds(granted))
        let expiry = sentAt + .seconds(remaining)
        promisedExpiry = max(promisedExpiry ?? expiry, expiry)
    }

    /// How long a candidate must still wait before it leads, when it saw its predecessor's key
    /// deleted at `deletedAt` without the predecessor having stepped down: nil when the deletion
    /// came when the lease could have expired; otherwise the predecessor's TTL, within which the
    /// predecessor stops leading.
    func waitBeforeLeading(deletedAt: ContinuousClock.Instant) -> Duration? {
        guard let promisedExpiry, deletedAt < promisedExpiry else { return nil }
        return grantedTTL
    }
}

/// A ``PredecessorLeaseClock`` shared between a waiting candidate and its time-to-live reads.
final class SharedLeaseClock: Sendable {
    let state = Mutex(PredecessorLeaseClock())
}
