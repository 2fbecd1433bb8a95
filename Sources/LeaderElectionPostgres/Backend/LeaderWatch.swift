import LeaderElection
import Synchronization

/// The state of one ``PostgresBackend/watchLeader(election:)`` stream: its notification
/// subscription (dropped with the stream) and the last value it yielded.
final class LeaderWatch: Sendable {
    /// Consecutive failed reads after which the stream ends with the error.
    static let attempts = 3

    let subscription: NotificationRouter.Subscription
    private let router: NotificationRouter
    private let lastYielded = Mutex<Candidacy??>(.none)
    private let failureCount = Mutex(0)

    /// Consecutive failed reads so far.
    var failures: Int {
        get { failureCount.withLock { $0 } }
        set { failureCount.withLock { $0 = newValue } }
    }

    init(router: NotificationRouter, election: String) {
        self.router = router
        subscription = router.subscribe()
        router.add(NotificationRouter.electionTopic(election), to: subscription)
    }

    deinit {
        router.unsubscribe(subscription)
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
