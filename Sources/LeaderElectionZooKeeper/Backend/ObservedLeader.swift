import LeaderElection
import Synchronization

/// The state of one ``ZooKeeperBackend/watchLeader(election:)`` stream: its watch subscription
/// (dropped with the stream), the last value it yielded, and its run of failed reads.
final class ObservedLeader: Sendable {
    /// Failed reads in a row before the stream may end with the error (however short the limit).
    static let minimumAttempts = 3

    let subscription: WatchRouter.Subscription
    private let router: WatchRouter
    private let lastYielded = Mutex<Candidacy??>(.none)
    /// Failed reads in a row, and when (election clock) the first of them failed.
    private let failures = Mutex<(count: Int, since: Duration?)>((0, nil))

    init(router: WatchRouter, path: String) {
        self.router = router
        subscription = router.subscribe()
        router.watch([path], subscription)
    }

    deinit {
        router.unsubscribe(subscription)
    }

    /// A read failed at `now`: returns how many failed in a row and for how long they have.
    func failed(at now: Duration) -> (count: Int, failingFor: Duration) {
        failures.withLock { failures in
            failures.count += 1
            let since = failures.since ?? now
            failures.since = since
            return (failures.count, now - since)
        }
    }

    /// A read succeeded: the run of failures is over.
    func succeeded() {
        failures.withLock { $0 = (0, nil) }
    }

    /// Records `leader` and returns whether it differs from the last value yielded.
    func changed(to leader: Candidacy?) -> Bool {
        lastYielded.withLock { last in
            if case .some(let previous) = last, previous == leader { return false }
            last = .some(leader)
            return true
        }
    }
}
