import LeaderElection
import Synchronization

/// The state of one ``ZooKeeperBackend/watchLeader(election:)`` stream: its watch subscription
/// (dropped with the stream) and the last value it yielded.
final class ObservedLeader: Sendable {
    /// Consecutive failed reads after which the stream ends with the error.
    static let attempts = 3

    let subscription: WatchRouter.Subscription
    private let router: WatchRouter
    private let lastYielded = Mutex<Candidate??>(.none)
    private let failureCount = Mutex(0)

    /// Consecutive failed reads so far.
    var failures: Int {
        get { failureCount.withLock { $0 } }
        set { failureCount.withLock { $0 = newValue } }
    }

    init(router: WatchRouter, path: String) {
        self.router = router
        subscription = router.subscribe()
        router.watch([path], subscription)
    }

    deinit {
        router.unsubscribe(subscription)
    }

    /// Records `leader` and returns whether it differs from the last value yielded.
    func changed(to leader: Candidate?) -> Bool {
        lastYielded.withLock { last in
            if case .some(let previous) = last, previous == leader { return false }
            last = .some(leader)
            return true
        }
    }
}
