import BillingNode
import LeaderElection
import LeaderElectionEtcd
import LeaderElectionStores
import Logging
import Synchronization

/// The coordination store's own record of who led, taken by the harness itself: it reads the
/// election's leader from the store (the lowest etcd key, ZooKeeper znode or PostgreSQL row of
/// the election, as each backend defines it) every 50 ms, from the host, as a reader that never
/// campaigns, and keeps for each token who held it and when reads first and last showed it leading.
///
/// The reads go through the library's backends (`leader(election:)` on a connection of their
/// own): the candidates' elections, renewals and deadlines play no part in them, but a bug in a
/// backend's decoding of its store would be shared.
final class LeadershipObserver: Sendable {
    /// One token as the store showed it leading.
    struct Term: Codable, Sendable {
        var token: Int64
        /// The candidacy's value: the node id.
        var holder: String
        /// The lease (a ZooKeeper session id, an etcd lease id, a PostgreSQL lease row).
        var lease: Int64
        /// The first read that showed this token leading: when it was sent and when it was answered.
        var firstReadSentMs: Int64
        var firstReadAnsweredMs: Int64
        /// When the last read that showed it leading was answered.
        var lastReadAnsweredMs: Int64
        /// etcd only: the latest expiry the store's own lease accounting promised the holder's
        /// lease (a time-to-live read's send time plus the whole seconds it reported left), so
        /// that a lease the store ended before that is known as the store's doing.
        var promisedUntilMs: Int64?
    }

    /// What the observer saw over a run.
    struct Record: Codable, Sendable {
        var terms: [Term]
        var reads: Int
        var failedReads: Int
    }

    private let url: String
    private let election: String
    private let state = Mutex<(terms: [Int64: Term], latest: Term?, reads: Int, failed: Int)>(([:], nil, 0, 0))

    init(url: String, election: String = "billing-renewals") {
        self.url = url
        self.election = election
    }

    /// The leader the last successful read showed, if any.
    var latest: Term? { state.withLock { $0.latest } }

    /// Everything seen so far.
    var record: Record {
        state.withLock { state in
            Record(terms: state.terms.values.sorted { $0.token < $1.token }, reads: state.reads, failedReads: state.failed)
        }
    }

    /// Reads until cancelled, opening the backend again whenever it fails (a store that is down
    /// leaves a gap in the record, never a guess).
    func run() async {
        var logger = Logger(label: "billing.chaos.observer")
        logger.logLevel = .critical
        while !Task.isCancelled {
            do {
                let storeURL = try StoreURL(url)
                try await ElectionStore.withBackend(url: storeURL, logger: logger) { backend in
                    while !Task.isCancelled {
                        let sent = NodeEventLog.realNowMs()
                        do {
                            let leader = try await backend.leader(election: election)
                            note(leader, sent: sent, answered: NodeEventLog.realNowMs())
                            if let etcd = backend as? EtcdBackend, let leader {
                                let askedAt = NodeEventLog.realNowMs()
                                if let left = try await etcd.remainingTime(of: leader.lease) {
                                    notePromise(token: leader.token.rawValue, until: askedAt + left.components.seconds * 1000)
                                }
                            }
                        } catch is CancellationError {
                            return
                        } catch {
                            state.withLock { $0.failed += 1 }
                        }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
            } catch {
                state.withLock { $0.failed += 1 }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    private func notePromise(token: Int64, until: Int64) {
        state.withLock { state in
            guard var term = state.terms[token] else { return }
            term.promisedUntilMs = max(term.promisedUntilMs ?? until, until)
            state.terms[token] = term
        }
    }

    private func note(_ leader: Candidacy?, sent: Int64, answered: Int64) {
        state.withLock { state in
            state.reads += 1
            guard let leader else {
                state.latest = nil
                return
            }
            let token = leader.token.rawValue
            var term =
                state.terms[token]
                ?? Term(
                    token: token, holder: leader.value, lease: leader.lease.rawValue, firstReadSentMs: sent, firstReadAnsweredMs: answered,
                    lastReadAnsweredMs: answered)
            term.lastReadAnsweredMs = max(term.lastReadAnsweredMs, answered)
            state.terms[token] = term
            state.latest = term
        }
    }
}
